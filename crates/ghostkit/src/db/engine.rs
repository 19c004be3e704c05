//! Starting SQLCipher with the Zig crypto provider of the CPU level in use.

use std::ffi::CStr;
use std::sync::OnceLock;

use super::{Error, ffi};

static STARTED: OnceLock<Result<&'static str, Error>> = OnceLock::new();

fn table_for(level: &str) -> Option<*const ffi::ZsqlcipherApi> {
    // SAFETY: each entry point returns a pointer to a static table.
    unsafe {
        match level {
            #[cfg(zsqlcipher_level_x86_64_v4)]
            "x86_64_v4" => Some(ffi::zsqlcipher_api_x86_64_v4()),
            #[cfg(zsqlcipher_level_x86_64_v3)]
            "x86_64_v3" => Some(ffi::zsqlcipher_api_x86_64_v3()),
            #[cfg(zsqlcipher_level_baseline)]
            "baseline" => Some(ffi::zsqlcipher_api_baseline()),
            _ => None,
        }
    }
}

fn start() -> Result<&'static str, Error> {
    // ZCrypto's choice (CPU detection, or GHOSTKIT_CPU_LEVEL) picks this library's level too.
    let level = crate::crypto::cpu_level().map_err(|e| Error::InvalidArgument(e.to_string()))?;
    let table = table_for(level)
        .ok_or_else(|| Error::InvalidArgument(format!("no SQLCipher provider for {level}")))?;
    // SAFETY: the table is static; its level name is a static NUL-terminated string.
    unsafe {
        assert_eq!((*table).abi_version, ffi::ZSC_ABI_VERSION, "zsqlcipher ABI");
        assert_eq!(CStr::from_ptr((*table).level).to_bytes(), level.as_bytes());
        // Written once, before SQLite initialises and reads it.
        ffi::ghostkit_sqlcipher_table = table;
        let rc = ffi::sqlite3_initialize();
        if rc != ffi::SQLITE_OK {
            return Err(Error::from_code(rc));
        }
    }
    Ok(level)
}

/// Initialises SQLite and SQLCipher once per process; returns the provider's CPU level.
pub fn ensure_started() -> Result<&'static str, Error> {
    STARTED.get_or_init(start).clone()
}

/// The SQLite version inside (e.g. `3.53.4`).
pub fn sqlite_version() -> String {
    // SAFETY: returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(ffi::sqlite3_libversion()) }
        .to_string_lossy()
        .into_owned()
}

/// Bytes of memory SQLite holds across the process.
pub fn memory_used() -> i64 {
    // SAFETY: a plain counter read.
    unsafe { ffi::sqlite3_memory_used() }
}
