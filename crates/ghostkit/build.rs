//! Builds the Zig libraries (one static archive per CPU level) with `zig build-lib`
//! directly: on an empty cache this starts about ten times faster than `zig build`.
//!
//! The Zig compiler is found in `$ZIG`, then in the workspace's `.zig/` folder (where
//! `npm install` puts the pinned `ziglang==0.17.1`), then on `PATH`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

/// A CPU level: the suffix of the exported symbol and the `-mcpu` value for x86-64.
struct CpuLevel {
    name: &'static str,
    mcpu: &'static str,
}

const X86_64_LEVELS: [CpuLevel; 3] = [
    CpuLevel {
        name: "baseline",
        mcpu: "baseline",
    },
    CpuLevel {
        name: "x86_64_v3",
        mcpu: "x86_64_v3+aes+pclmul",
    },
    CpuLevel {
        name: "x86_64_v4",
        mcpu: "x86_64_v4+aes+pclmul+vaes+vpclmulqdq+sha",
    },
];

const OTHER_LEVELS: [CpuLevel; 1] = [CpuLevel {
    name: "baseline",
    mcpu: "baseline",
}];

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.join("../..");
    let zig_dir = env::var_os("GHOSTKIT_ZIG_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("zig"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let zig = find_zig(&workspace);

    println!("cargo:rerun-if-env-changed=ZIG");
    println!("cargo:rerun-if-env-changed=GHOSTKIT_ZIG_SRC");
    println!("cargo:rerun-if-env-changed=GHOSTKIT_ZIG_OPTIMIZE");
    // A directory makes Cargo scan everything below it.
    println!(
        "cargo:rerun-if-changed={}",
        zig_dir.join("include").display()
    );
    println!("cargo:rerun-if-changed={}", zig_dir.join("src").display());

    let target = zig_target();
    let header_zig = out_dir.join("zcrypto_h.zig");
    translate_header(
        &zig,
        &zig_dir.join("include/zcrypto.h"),
        &header_zig,
        &target,
    );

    let levels: &[CpuLevel] = if env::var("CARGO_CFG_TARGET_ARCH").unwrap() == "x86_64" {
        &X86_64_LEVELS
    } else {
        &OTHER_LEVELS
    };
    // The levels compile in parallel: each is one mostly single-threaded LLVM job.
    thread::scope(|scope| {
        for level in levels {
            let (zig, zig_dir, out_dir, header_zig, target) =
                (&zig, &zig_dir, &out_dir, &header_zig, &target);
            scope.spawn(move || build_level(zig, zig_dir, out_dir, header_zig, target, level));
        }
    });

    println!("cargo:rustc-link-search=native={}", out_dir.display());
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

fn find_zig(workspace: &Path) -> PathBuf {
    if let Some(zig) = env::var_os("ZIG") {
        return PathBuf::from(zig);
    }
    let local = workspace.join(".zig/ziglang/zig");
    if local.exists() {
        return local;
    }
    PathBuf::from("zig")
}

/// The Zig target triple for Cargo's target.
fn zig_target() -> String {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap();
    let abi = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    match os.as_str() {
        "linux" if abi == "musl" => format!("{arch}-linux-musl"),
        "linux" => format!("{arch}-linux-gnu"),
        "macos" => format!("{arch}-macos"),
        "windows" => format!("{arch}-windows-msvc"),
        other => panic!("ghostkit: no Zig target known for OS {other}"),
    }
}

fn run(cmd: &mut Command, what: &str) -> Vec<u8> {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("ghostkit: cannot run zig for {what} ({cmd:?}): {e}. Run `npm install` (it installs the pinned Zig into .zig/) or set ZIG."));
    if !output.status.success() {
        panic!(
            "ghostkit: zig failed for {what}:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output.stdout
}

/// Turns the C header into a Zig module, so the Zig compiler checks every exported
/// function against the contract the Rust side is written to.
fn translate_header(zig: &Path, header: &Path, out: &Path, target: &str) {
    let zig_source = run(
        Command::new(zig)
            .arg("translate-c")
            .arg(header)
            .args(["-target", target, "-lc"]),
        "translate-c zcrypto.h",
    );
    fs::write(out, zig_source).expect("write translated header");
}

fn build_level(
    zig: &Path,
    zig_dir: &Path,
    out_dir: &Path,
    header_zig: &Path,
    target: &str,
    level: &CpuLevel,
) {
    let options = out_dir.join(format!("build_options_{}.zig", level.name));
    fs::write(
        &options,
        format!("pub const level: []const u8 = \"{}\";\n", level.name),
    )
    .expect("write build options");
    let optimize = env::var("GHOSTKIT_ZIG_OPTIMIZE").unwrap_or_else(|_| "ReleaseFast".into());
    let archive = out_dir.join(format!("libzcrypto_{}.a", level.name));
    let cache = out_dir.join("zig-cache");
    // Per-module options come before the `-M` they apply to, and reset after it.
    let module_flags = [
        "-O", &optimize, "-target", target, "-mcpu", level.mcpu, "-fPIC",
    ];
    run(
        Command::new(zig)
            .arg("build-lib")
            .args(module_flags)
            .args(["-fno-stack-check", "-fno-compiler-rt", "-fno-ubsan-rt"])
            .args(["--dep", "zcrypto_h", "--dep", "build_options"])
            .arg(format!(
                "-Mroot={}",
                zig_dir.join("src/crypto/export.zig").display()
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
