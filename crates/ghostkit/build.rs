//! Builds the Zig libraries with `zig build-lib` directly: on an empty cache this starts
//! about ten times faster than `zig build`. Each module's build lives in `build/<module>.rs`
//! and watches only its own sources, so editing one Zig library rebuilds only that one.
//!
//! The Zig compiler is found in `$ZIG`, then in the workspace's `.zig/` folder (where
//! `npm install` puts the pinned `ziglang==0.17.1`), then on `PATH`.

#[path = "build/crypto.rs"]
mod crypto;
#[path = "build/db.rs"]
mod db;
#[path = "build/llm.rs"]
mod llm;
#[path = "build/zig.rs"]
mod zig;

fn main() {
    let toolchain = zig::Toolchain::from_env();
    crypto::build(&toolchain);
    llm::build(&toolchain);
    db::build(&toolchain);
}
