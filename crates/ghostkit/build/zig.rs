//! What every Zig library build shares: the toolchain, the target, CPU levels, running zig.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

/// A CPU level: the suffix of exported symbols and the `-mcpu` value for x86-64.
pub struct CpuLevel {
    pub name: &'static str,
    pub mcpu: &'static str,
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

/// One Zig module besides a library's root: `-M<name>=<path>` importing `deps`.
pub struct Module<'a> {
    pub name: &'a str,
    pub path: PathBuf,
    pub deps: &'a [&'a str],
}

/// A Zig static library built once per CPU level as `lib<name>_<level>.a`. Its root
/// module also imports `build_options`, whose `level` names the level being built.
pub struct LevelLib<'a> {
    pub name: &'a str,
    pub root: PathBuf,
    pub root_deps: &'a [&'a str],
    pub modules: Vec<Module<'a>>,
    /// Flags for the whole archive besides the ones every archive gets (e.g. `-lc`).
    pub extra_flags: &'a [&'a str],
}

/// The Zig compiler and where its inputs and outputs live for this Cargo build.
pub struct Toolchain {
    pub zig: PathBuf,
    /// `zig/` of the workspace (or `$GHOSTKIT_ZIG_SRC`).
    pub zig_dir: PathBuf,
    pub out_dir: PathBuf,
    /// The Zig target triple for Cargo's target.
    pub target: String,
    /// `ReleaseFast` unless `$GHOSTKIT_ZIG_OPTIMIZE` says otherwise.
    pub optimize: String,
}

impl Toolchain {
    pub fn from_env() -> Toolchain {
        let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
        let workspace = manifest_dir.join("../..");
        let zig_dir = env::var_os("GHOSTKIT_ZIG_SRC")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("zig"));
        println!("cargo:rerun-if-env-changed=ZIG");
        println!("cargo:rerun-if-env-changed=GHOSTKIT_ZIG_SRC");
        println!("cargo:rerun-if-env-changed=GHOSTKIT_ZIG_OPTIMIZE");
        Toolchain {
            zig: find_zig(&workspace),
            zig_dir,
            out_dir: PathBuf::from(env::var("OUT_DIR").unwrap()),
            target: zig_target(),
            optimize: env::var("GHOSTKIT_ZIG_OPTIMIZE").unwrap_or_else(|_| "ReleaseFast".into()),
        }
    }

    /// The CPU levels built for this target (several on x86-64, one elsewhere).
    pub fn levels(&self) -> &'static [CpuLevel] {
        if env::var("CARGO_CFG_TARGET_ARCH").unwrap() == "x86_64" {
            &X86_64_LEVELS
        } else {
            &OTHER_LEVELS
        }
    }

    /// Makes Cargo rebuild when anything below `zig/<relative>` changes.
    pub fn watch(&self, relative: &str) {
        // A directory makes Cargo scan everything below it.
        println!(
            "cargo:rerun-if-changed={}",
            self.zig_dir.join(relative).display()
        );
    }

    /// Builds `lib` for every CPU level in parallel (each is one mostly single-threaded
    /// LLVM job), links the archives and sets the cfg `<name>_level_<level>` for each.
    pub fn build_levels(&self, lib: &LevelLib) {
        let levels = self.levels();
        thread::scope(|scope| {
            for level in levels {
                scope.spawn(move || self.build_level(lib, level));
            }
        });
        println!("cargo:rustc-link-search=native={}", self.out_dir.display());
        for level in levels {
            println!("cargo:rustc-link-lib=static={}_{}", lib.name, level.name);
            println!("cargo:rustc-cfg={}_level_{}", lib.name, level.name);
        }
        let all: Vec<String> = X86_64_LEVELS
            .iter()
            .map(|l| format!("{}_level_{}", lib.name, l.name))
            .collect();
        println!("cargo::rustc-check-cfg=cfg({})", all.join(", "));
    }

    fn build_level(&self, lib: &LevelLib, level: &CpuLevel) {
        let options = self
            .out_dir
            .join(format!("{}_options_{}.zig", lib.name, level.name));
        fs::write(
            &options,
            format!("pub const level: []const u8 = \"{}\";\n", level.name),
        )
        .expect("write build options");
        let archive = self
            .out_dir
            .join(format!("lib{}_{}.a", lib.name, level.name));
        // Per-module options come before the `-M` they apply to, and reset after it.
        let module_flags = [
            "-O",
            &self.optimize,
            "-target",
            &self.target,
            "-mcpu",
            level.mcpu,
            "-fPIC",
        ];
        let mut cmd = Command::new(&self.zig);
        cmd.arg("build-lib")
            .args(module_flags)
            .args(["-fno-stack-check", "-fno-compiler-rt", "-fno-ubsan-rt"])
            .args(lib.extra_flags);
        for dep in lib.root_deps.iter().chain(&["build_options"]) {
            cmd.args(["--dep", dep]);
        }
        cmd.arg(format!("-Mroot={}", lib.root.display()));
        for module in &lib.modules {
            cmd.args(module_flags);
            for dep in module.deps {
                cmd.args(["--dep", dep]);
            }
            cmd.arg(format!("-M{}={}", module.name, module.path.display()));
        }
        cmd.args(module_flags)
            .arg(format!("-Mbuild_options={}", options.display()))
            .arg("--name")
            .arg(format!("{}_{}", lib.name, level.name))
            .arg("--cache-dir")
            .arg(self.out_dir.join("zig-cache"))
            .arg(format!("-femit-bin={}", archive.display()));
        run(&mut cmd, &format!("lib{}_{}", lib.name, level.name));
    }

    /// Turns a C header into a Zig module, so the Zig compiler checks every exported
    /// function against the contract the Rust side is written to.
    pub fn translate_header(&self, header: &Path, out: &Path) {
        let zig_source = run(
            Command::new(&self.zig)
                .arg("translate-c")
                .arg(header)
                .args(["-target", &self.target, "-lc"]),
            &format!("translate-c {}", header.display()),
        );
        fs::write(out, zig_source).expect("write translated header");
    }
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

/// Runs a zig command, failing the build with its output when it fails.
pub fn run(cmd: &mut Command, what: &str) -> Vec<u8> {
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
