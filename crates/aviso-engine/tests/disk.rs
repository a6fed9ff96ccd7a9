//! The engine when its data directory fails it: a full disk and a read-only directory
//! (real ones: a small tmpfs, filled or remounted read-only) keep notifications in memory,
//! delivered and listed, and write them once the disk takes writes again; a corrupt
//! database is moved aside and refilled from the server.
//!
//! The tmpfs needs root (CI and `scripts/test` run as root): the two tmpfs tests are
//! `#[ignore]`d, so a plain `cargo test` says "ignored"; the test command runs them with
//! `--include-ignored`, and there a failed mount fails them.
//! They are Linux's (a tmpfs mount); the corrupt database runs everywhere (under Wine too).

use std::path::Path;

use aviso_demo::EmitSpec;
use aviso_engine::store::Store;
use aviso_testkit::{record_issued_tokens, ArtifactDir, EngineRun, FastProfile};

use aviso_testkit::demo::start as quiet_demo;

/// The ids stored in the database file, read by a store of its own (as after a restart).
fn stored_ids(data_dir: &Path) -> Vec<String> {
    let store = Store::open(&data_dir.join("aviso.db")).unwrap();
    let mut ids: Vec<String> = store
        .list(&aviso_engine::store::ListQuery {
            limit: 10_000,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(0));
    ids
}

fn strings(ids: &[u64]) -> Vec<String> {
    ids.iter().map(u64::to_string).collect()
}

#[tokio::test]
async fn a_corrupt_database_is_moved_aside_and_refilled_from_the_server() {
    let demo = quiet_demo().await;
    let dir = ArtifactDir::new("disk-corrupt");
    // A first run stores some notifications and reads one.
    let first = demo.control().emit(4, &EmitSpec::default());
    {
        let mut run =
            EngineRun::on_demo(&demo, dir.path(), &FastProfile::smartsales().text()).await;
        run.live().await;
        run.announced(&first).await;
        run.close().await;
    }
    // The file is destroyed (a bad sector, a half-copied backup…).
    let db = dir.path().join("aviso.db");
    let len = std::fs::metadata(&db).unwrap().len() as usize;
    std::fs::write(&db, vec![0xA5u8; len.max(8192)]).unwrap();
    let _ = std::fs::remove_file(dir.path().join("aviso.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("aviso.db-shm"));

    let later = demo.control().emit(2, &EmitSpec::default());
    let mut run = EngineRun::on_demo(&demo, dir.path(), &FastProfile::smartsales().text()).await;
    run.live().await;
    // Everything the server has comes back through the catch-up.
    let all: Vec<u64> = [first, later].concat();
    run.announced(&all).await;
    let store = run.engine().store().clone();
    assert_eq!(store.total_count(None).unwrap(), all.len() as u64);
    run.close().await;
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("aviso.db.corrupt-"))
        .count();
    assert_eq!(aside, 1, "the corrupt file is kept aside for inspection");
    assert_eq!(stored_ids(dir.path()), strings(&all));
    record_issued_tokens(&demo.control());
}

/// The two faults a tmpfs can play (Linux: mount needs it; Windows has no such mount).
#[cfg(target_os = "linux")]
mod tmpfs {
    use std::path::PathBuf;
    use std::time::Duration;

    use aviso_testkit::Tmpfs;

    use aviso_engine::EngineEvent;
    use tokio::time::Instant;

    use super::*;

    /// A tmpfs of `size` mounted on a fresh directory of the test's artifacts.
    struct Disk {
        fs: Tmpfs,
        dir: PathBuf,
        _parent: ArtifactDir,
    }

    impl Disk {
        fn mount(size: &str) -> Disk {
            let parent = ArtifactDir::new("disk");
            let dir = parent.path().join("data");
            Disk {
                fs: Tmpfs::mount(&dir, size),
                dir,
                _parent: parent,
            }
        }
    }

    fn big() -> EmitSpec {
        EmitSpec {
            mensaje: Some("Pedido grande: ".to_string() + &"x".repeat(20_000)),
            ..EmitSpec::default()
        }
    }

    #[tokio::test]
    #[ignore = "mounts a tmpfs: needs root, as scripts/test has"]
    async fn a_full_disk_keeps_notifications_in_memory_and_saves_them_when_space_returns() {
        let fs = Disk::mount("4m");
        let demo = quiet_demo().await;
        let mut run = EngineRun::on_demo(&demo, &fs.dir, &FastProfile::smartsales().text()).await;
        run.live().await;
        let before = demo.control().emit(3, &EmitSpec::default());
        run.announced(&before).await;

        let filler = fs.fs.fill();
        // Space SQLite already holds (its WAL is rewritten in place) takes a few more; keep
        // sending until a write needs a page the disk no longer has.
        let mut during = Vec::new();
        while run.errors(aviso_engine::ErrorCode::DiskFull).is_empty() {
            assert!(during.len() < 400, "the disk never filled up");
            let ids = demo.control().emit(20, &big());
            run.announced(&ids).await;
            during.extend(ids);
        }
        let more = demo.control().emit(20, &big());
        run.announced(&more).await;
        during.extend(more);
        let told = run.errors(aviso_engine::ErrorCode::DiskFull);
        assert_eq!(told.len(), 1, "said once, not per batch: {told:?}");
        assert!(told[0].contains("kept in memory"), "{}", told[0]);
        // Delivered, listed and counted while they cannot be written.
        let store = run.engine().store().clone();
        assert!(store.held_count() >= 20, "held: {}", store.held_count());
        let total = (before.len() + during.len()) as u64;
        assert_eq!(store.total_count(Some("tienda")).unwrap(), total);
        assert_eq!(store.unread_count(Some("tienda")).unwrap(), total);
        let newest = store
            .list(&aviso_engine::store::ListQuery {
                limit: 1,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(newest[0].id, during.last().unwrap().to_string());

        std::fs::remove_file(filler).unwrap();
        // The next notification writes the held ones with it.
        let after = demo.control().emit(1, &EmitSpec::default());
        run.announced(&after).await;
        assert_eq!(store.held_count(), 0);
        run.close().await;
        let all: Vec<u64> = [before, during, after].concat();
        assert_eq!(stored_ids(&fs.dir), strings(&all), "all saved, once each");
        record_issued_tokens(&demo.control());
    }

    #[tokio::test]
    #[ignore = "mounts a tmpfs: needs root, as scripts/test has"]
    async fn a_read_only_data_dir_keeps_notifications_in_memory_until_it_is_writable() {
        let fs = Disk::mount("16m");
        let demo = quiet_demo().await;
        let before = demo.control().emit(2, &EmitSpec::default());
        {
            let mut run =
                EngineRun::on_demo(&demo, &fs.dir, &FastProfile::smartsales().text()).await;
            run.live().await;
            run.announced(&before).await;
            run.close().await;
        }
        // E.g. a home on a file system remounted read-only after an error.
        fs.fs.remount("ro");
        let mut run = EngineRun::on_demo(&demo, &fs.dir, &FastProfile::smartsales().text()).await;
        run.live().await;
        let during = demo.control().emit(5, &EmitSpec::default());
        run.announced(&during).await;
        let store = run.engine().store().clone();
        assert_eq!(store.held_count(), 5);
        let told: Vec<_> = run
            .seen
            .iter()
            .filter_map(|e| match e {
                EngineEvent::Error { code, message, .. } if message.contains("kept in memory") => {
                    Some(*code)
                }
                _ => None,
            })
            .collect();
        assert_eq!(told, [aviso_engine::ErrorCode::ReadOnly], "{:#?}", run.seen);
        let unread = store.unread_count(Some("tienda")).unwrap();
        assert!(unread >= 5, "held notifications are counted: {unread}");
        // Marking read cannot be saved either: a clear error, nothing lost.
        run.engine()
            .mark_read("tienda", vec![during[0].to_string()])
            .await
            .unwrap();
        run.wait_for(
            10.0,
            "the mark-read error",
            |e| matches!(e, EngineEvent::Error { code, .. } if *code == aviso_engine::ErrorCode::ReadOnly),
        )
        .await;

        fs.fs.remount("rw");
        // Without any new notification: the periodic retry writes them (every ~10 s).
        let deadline = Instant::now() + Duration::from_secs(25);
        while store.held_count() > 0 {
            assert!(
                Instant::now() < deadline,
                "held notifications were never written"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        run.close().await;
        drop(store);
        let all: Vec<u64> = [before, during].concat();
        assert_eq!(stored_ids(&fs.dir), strings(&all));
        record_issued_tokens(&demo.control());
    }
}
