//! A size-limited file system for the disk tests.

use std::path::{Path, PathBuf};

/// A tmpfs of a given size mounted on a directory (root is needed: `scripts/test` and CI
/// run as root), for the tests of a full or read-only disk. Dropped, it keeps a copy of what
/// the tests wrote on it (beside it, `<dir>-kept`: the token scan reads it) and unmounts.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts it on `dir` (created when missing); fails the test when it cannot.
    pub fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "cannot mount a tmpfs on {} (root is needed): run this test with scripts/test",
            dir.display()
        );
        Tmpfs {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `ro` or `rw`, as a file system remounted after an error.
    pub fn remount(&self, mode: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(status.success(), "remount {mode}");
    }

    /// Fills it until it refuses another byte; returns the filler file (delete it to free
    /// the space). Not kept when the tmpfs is dropped.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.dir.join(FILLER);
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        while f.write_all(&[0]).is_ok() {}
        path
    }
}

const FILLER: &str = "filler";

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let mut kept = self.dir.as_os_str().to_owned();
        kept.push("-kept");
        copy_tree(&self.dir, Path::new(&kept));
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
    }
}

/// Copies what `from` holds into `to`, but the filler.
fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    let _ = std::fs::create_dir_all(to);
    for entry in entries.flatten() {
        let (path, name) = (entry.path(), entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else if name != FILLER {
            let _ = std::fs::copy(&path, to.join(&name));
        }
    }
}
