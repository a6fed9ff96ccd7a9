//! The `aviso` desktop binary (placeholder until the Tauri shell lands).

fn main() {
    eprintln!("{}", aviso_app::NOT_YET);
    std::process::exit(2);
}
