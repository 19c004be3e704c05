//! GhostLLM: `zig/src/llm` built once per CPU level, in parallel. Each archive exports
//! one symbol, `ghostllm_api_<level>`, returning the function table of `ghostllm.h`.
//! The archive links libc (its allocator); the host process provides it.

use std::fs;
use std::process::Command;
use std::thread;

use crate::zig::{CpuLevel, Toolchain, run};

pub fn build(tc: &Toolchain) {
    tc.watch("include/ghostllm.h");
    tc.watch("src/llm");

    let header_zig = tc.out_dir.join("ghostllm_h.zig");
    tc.translate_header(&tc.zig_dir.join("include/ghostllm.h"), &header_zig);

    let levels = tc.levels();
    thread::scope(|scope| {
        for level in levels {
            let header_zig = &header_zig;
            scope.spawn(move || build_level(tc, header_zig, level));
        }
    });

    println!("cargo:rustc-link-search=native={}", tc.out_dir.display());
    for level in levels {
        println!("cargo:rustc-link-lib=static=ghostllm_{}", level.name);
        println!("cargo:rustc-cfg=ghostllm_level_{}", level.name);
    }
    println!(
        "cargo::rustc-check-cfg=cfg(ghostllm_level_baseline, ghostllm_level_x86_64_v3, ghostllm_level_x86_64_v4)"
    );
}

fn build_level(tc: &Toolchain, header_zig: &std::path::Path, level: &CpuLevel) {
    let options = tc
        .out_dir
        .join(format!("ghostllm_options_{}.zig", level.name));
    fs::write(
        &options,
        format!("pub const level: []const u8 = \"{}\";\n", level.name),
    )
    .expect("write build options");
    let archive = tc.out_dir.join(format!("libghostllm_{}.a", level.name));
    let cache = tc.out_dir.join("zig-cache");
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
            .args([
                "-fno-stack-check",
                "-fno-compiler-rt",
                "-fno-ubsan-rt",
                "-lc",
            ])
            .args(["--dep", "ghostllm_h", "--dep", "build_options"])
            .arg(format!(
                "-Mroot={}",
                tc.zig_dir.join("src/llm/export.zig").display()
            ))
            .args(module_flags)
            .arg(format!("-Mghostllm_h={}", header_zig.display()))
            .args(module_flags)
            .arg(format!("-Mbuild_options={}", options.display()))
            .arg("--name")
            .arg(format!("ghostllm_{}", level.name))
            .arg("--cache-dir")
            .arg(&cache)
            .arg(format!("-femit-bin={}", archive.display())),
        &format!("libghostllm_{}", level.name),
    );
}
