//! ZCrypto: `zig/src/crypto` built once per CPU level, in parallel. Each archive exports
//! one symbol, `zcrypto_api_<level>`, returning the function table of `zcrypto.h`.

use crate::zig::{LevelLib, Module, Toolchain};

pub fn build(tc: &Toolchain) {
    tc.watch("include/zcrypto.h");
    tc.watch("src/crypto");

    let header_zig = tc.out_dir.join("zcrypto_h.zig");
    tc.translate_header(&tc.zig_dir.join("include/zcrypto.h"), &header_zig);

    tc.build_levels(&LevelLib {
        name: "zcrypto",
        root: tc.zig_dir.join("src/crypto/export.zig"),
        root_deps: &["zcrypto_h"],
        modules: vec![Module {
            name: "zcrypto_h",
            path: header_zig,
            deps: &[],
        }],
        extra_flags: &[],
    });
    let names: Vec<&str> = tc.levels().iter().map(|l| l.name).collect();
    println!(
        "cargo:rustc-env=GHOSTKIT_ZCRYPTO_LEVELS={}",
        names.join(",")
    );
}
