//! The `aviso` desktop binary.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    aviso_app::run();
}
