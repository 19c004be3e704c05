//! zqlite: SQLCipher 4 (SQLite inside) compiled from the amalgamation that the
//! `sqlcipher-src` crate carries, with its crypto provider written in Zig
//! (`zig/src/sqlcipher`, one archive per CPU level exporting `zsqlcipher_api_<level>`).
//! No OpenSSL: `SQLCIPHER_CRYPTO_CUSTOM` names the setup function of
//! `crates/ghostkit/src/db/sqlcipher_unit.c`, which copies the Zig table the Rust core
//! picked into SQLCipher's provider struct.

use std::path::PathBuf;
use std::thread;

use crate::zig::{LevelLib, Module, Toolchain};

/// SQLite compile-time options. The SQLCipher ones are required by its sources;
/// the rest trade unused features for speed and safer defaults.
const DEFINES: &[(&str, &str)] = &[
    ("SQLITE_HAS_CODEC", "1"),
    ("SQLCIPHER_CRYPTO_CUSTOM", "ghostkit_sqlcipher_setup"),
    ("SQLITE_EXTRA_INIT", "sqlcipher_extra_init"),
    ("SQLITE_EXTRA_SHUTDOWN", "sqlcipher_extra_shutdown"),
    // Temporary tables and indices stay in memory: never plaintext on disk.
    ("SQLITE_TEMP_STORE", "2"),
    // SQLCipher logs to stderr by default; errors reach the caller as result codes.
    ("SQLCIPHER_OMIT_DEFAULT_LOGGING", "1"),
    // Serialized: `db.async` runs on its own thread beside the JS thread's calls.
    ("SQLITE_THREADSAFE", "1"),
    ("SQLITE_DQS", "0"),
    ("SQLITE_DEFAULT_MEMSTATUS", "0"),
    ("SQLITE_DEFAULT_WAL_SYNCHRONOUS", "1"),
    ("SQLITE_LIKE_DOESNT_MATCH_BLOBS", "1"),
    ("SQLITE_OMIT_SHARED_CACHE", "1"),
    ("SQLITE_USE_ALLOCA", "1"),
    ("SQLITE_ENABLE_COLUMN_METADATA", "1"),
    ("SQLITE_ENABLE_FTS5", "1"),
    ("SQLITE_ENABLE_MATH_FUNCTIONS", "1"),
    ("SQLITE_ENABLE_STAT4", "1"),
    ("SQLITE_ENABLE_UPDATE_DELETE_LIMIT", "1"),
    ("SQLITE_MAX_EXPR_DEPTH", "0"),
    ("HAVE_USLEEP", "1"),
];

pub fn build(tc: &Toolchain) {
    tc.watch("include/zsqlcipher.h");
    tc.watch("src/sqlcipher");

    let out = &tc.out_dir;
    let headers = [
        (
            tc.zig_dir.join("include/zsqlcipher.h"),
            out.join("zsqlcipher_h.zig"),
        ),
        (
            tc.zig_dir.join("include/zcrypto.h"),
            out.join("zsqlcipher_zcrypto_h.zig"),
        ),
    ];
    for (header, zig) in &headers {
        tc.translate_header(header, zig);
    }

    let [(_, zsqlcipher_h), (_, zcrypto_h)] = headers;
    let lib = LevelLib {
        name: "zsqlcipher",
        root: tc.zig_dir.join("src/sqlcipher/export.zig"),
        root_deps: &["zsqlcipher_h", "zcrypto_h", "zcrypto"],
        modules: vec![
            Module {
                name: "zsqlcipher_h",
                path: zsqlcipher_h,
                deps: &[],
            },
            Module {
                name: "zcrypto_h",
                path: zcrypto_h,
                deps: &[],
            },
            Module {
                name: "zcrypto",
                path: tc.zig_dir.join("src/crypto/zcrypto.zig"),
                deps: &["zcrypto_h"],
            },
        ],
        extra_flags: &[],
    };
    thread::scope(|scope| {
        // SQLite is one large C file: compile it beside the Zig levels.
        scope.spawn(|| compile_sqlcipher(tc));
        tc.build_levels(&lib);
    });
    println!("cargo:rustc-link-lib=static=zqlite_sqlcipher");
}

fn compile_sqlcipher(tc: &Toolchain) {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let unit = manifest.join("src/db/sqlcipher_unit.c");
    println!("cargo:rerun-if-changed={}", unit.display());
    let mut build = cc::Build::new();
    build
        .file(&unit)
        .include(sqlcipher_src::source_dir())
        .include(tc.zig_dir.join("include"))
        .opt_level(2)
        .warnings(false)
        .flag_if_supported("-fno-strict-aliasing")
        // The setup shim copies zsqlcipher.h's table into SQLCipher's provider struct:
        // a signature that drifted from SQLCipher's must stop the build.
        .flag_if_supported("-Werror=incompatible-pointer-types");
    for (name, value) in DEFINES {
        build.define(name, Some(*value));
    }
    build.compile("zqlite_sqlcipher");
}
