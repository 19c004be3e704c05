//! ZCrypto: `zig/src/crypto` built once per CPU level, in parallel. Each archive exports
//! one symbol, `zcrypto_api_<level>`, returning the function table of `zcrypto.h`.

use std::fs;
use std::process::Command;
use std::thread;

use crate::zig::{CpuLevel, Toolchain, run};

pub fn build(tc: &Toolchain) {
    tc.watch("include/zcrypto.h");
    tc.watch("src/crypto");

    let header_zig = tc.out_dir.join("zcrypto_h.zig");
    tc.translate_header(&tc.zig_dir.join("include/zcrypto.h"), &header_zig);

    let levels = tc.levels();
    // The levels compile in parallel: each is one mostly single-threaded LLVM job.
    thread::scope(|scope| {
        for level in levels {
            let header_zig = &header_zig;
            scope.spawn(move || build_level(tc, header_zig, level));
        }
    });

    println!("cargo:rustc-link-search=native={}", tc.out_dir.display());
    for level in levels {
        println!("cargo:rustc-link-lib=static=zcrypto_{}", level.name);
    }
    let names: Vec<&str> = levels.iter().map(|l| l.name).collect();
    println!(
        "cargo:rustc-env=GHOSTKIT_ZCRYPTO_LEVELS={}",
        names.join(",")
    );
    for level in levels {
        println!("cargo:rustc-cfg=zcrypto_level_{}", level.name);
    }
    println!(
        "cargo::rustc-check-cfg=cfg(zcrypto_level_baseline, zcrypto_level_x86_64_v3, zcrypto_level_x86_64_v4)"
    );
}

fn build_level(tc: &Toolchain, header_zig: &std::path::Path, level: &CpuLevel) {
    let options = tc.out_dir.join(format!("build_options_{}.zig", level.name));
    fs::write(
        &options,
        format!("pub const level: []const u8 = \"{}\";\n", level.name),
    )
    .expect("write build options");
    let archive = tc.out_dir.join(format!("libzcrypto_{}.a", level.name));
    let cache = tc.out_dir.join("zig-cache");
    // Per-module options come before the `-M` they apply to, and reset after it.
    let module_flags = [
        "-O",
        &tc.optimize,
        "-target",
        &tc.target,
        "-mcpu",
        level.mcpu,
        "-fPIC",
    ];
    run(
        Command::new(&tc.zig)
            .arg("build-lib")
            .args(module_flags)
            .args(["-fno-stack-check", "-fno-compiler-rt", "-fno-ubsan-rt"])
            .args(["--dep", "zcrypto_h", "--dep", "build_options"])
            .arg(format!(
                "-Mroot={}",
                tc.zig_dir.join("src/crypto/export.zig").display()
            ))
            .args(module_flags)
            .arg(format!("-Mzcrypto_h={}", header_zig.display()))
            .args(module_flags)
            .arg(format!("-Mbuild_options={}", options.display()))
            .arg("--name")
            .arg(format!("zcrypto_{}", level.name))
            .arg("--cache-dir")
            .arg(&cache)
            .arg(format!("-femit-bin={}", archive.display())),
        &format!("libzcrypto_{}", level.name),
    );
}
