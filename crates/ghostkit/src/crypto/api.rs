use std::ffi::CStr;
use std::fmt;
use std::sync::OnceLock;

use super::ffi::{self, ZcApi};

/// One build of the Zig library: its name, its entry point, and whether this CPU runs it.
struct CpuLevel {
    name: &'static str,
    table: unsafe extern "C" fn() -> *const ZcApi,
    supported: fn() -> bool,
}

/// The levels built for this target, best first.
const LEVELS: &[CpuLevel] = &[
    #[cfg(zcrypto_level_x86_64_v4)]
    CpuLevel {
        name: "x86_64_v4",
        table: ffi::zcrypto_api_x86_64_v4,
        supported: supports_x86_64_v4,
    },
    #[cfg(zcrypto_level_x86_64_v3)]
    CpuLevel {
        name: "x86_64_v3",
        table: ffi::zcrypto_api_x86_64_v3,
        supported: supports_x86_64_v3,
    },
    #[cfg(zcrypto_level_baseline)]
    CpuLevel {
        name: "baseline",
        table: ffi::zcrypto_api_baseline,
        supported: || true,
    },
];

#[cfg(target_arch = "x86_64")]
fn supports_x86_64_v3() -> bool {
    use std::arch::is_x86_feature_detected as has;
    has!("avx")
        && has!("avx2")
        && has!("bmi1")
        && has!("bmi2")
        && has!("fma")
        && has!("f16c")
        && has!("lzcnt")
        && has!("movbe")
        && has!("xsave")
        && has!("aes")
        && has!("pclmulqdq")
}

#[cfg(target_arch = "x86_64")]
fn supports_x86_64_v4() -> bool {
    use std::arch::is_x86_feature_detected as has;
    supports_x86_64_v3()
        && has!("avx512f")
        && has!("avx512bw")
        && has!("avx512cd")
        && has!("avx512dq")
        && has!("avx512vl")
        && has!("vaes")
        && has!("vpclmulqdq")
        && has!("sha")
}

/// Why the level forced by `GHOSTKIT_CPU_LEVEL` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuLevelError {
    /// The value of `GHOSTKIT_CPU_LEVEL`.
    pub requested: String,
    /// The levels that this build has and this CPU runs.
    pub available: Vec<&'static str>,
}

impl fmt::Display for CpuLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GHOSTKIT_CPU_LEVEL={:?} is not available on this CPU and build (available: {})",
            self.requested,
            self.available.join(", ")
        )
    }
}

impl std::error::Error for CpuLevelError {}

static SELECTED: OnceLock<Result<(&'static str, &'static ZcApi), CpuLevelError>> = OnceLock::new();

fn select() -> Result<(&'static str, &'static ZcApi), CpuLevelError> {
    let requested = std::env::var("GHOSTKIT_CPU_LEVEL")
        .ok()
        .filter(|v| !v.is_empty());
    let level = LEVELS.iter().find(|level| match &requested {
        Some(name) => level.name == name && (level.supported)(),
        None => (level.supported)(),
    });
    let Some(level) = level else {
        return Err(CpuLevelError {
            requested: requested.unwrap_or_default(),
            available: available_cpu_levels(),
        });
    };
    // SAFETY: the entry point returns a pointer to a static table in the Zig library.
    let table: &'static ZcApi = unsafe { &*(level.table)() };
    assert_eq!(
        table.abi_version,
        ffi::ZC_ABI_VERSION,
        "zcrypto ABI version mismatch"
    );
    // SAFETY: `level` is a static NUL-terminated string in the Zig library.
    let name = unsafe { CStr::from_ptr(table.level) };
    assert_eq!(name.to_bytes(), level.name.as_bytes(), "zcrypto level name");
    Ok((level.name, table))
}

/// The CPU level in use (`"baseline"`, `"x86_64_v3"` or `"x86_64_v4"`), chosen on first
/// call; an error when `GHOSTKIT_CPU_LEVEL` names a level this CPU or build lacks.
pub fn cpu_level() -> Result<&'static str, CpuLevelError> {
    SELECTED
        .get_or_init(select)
        .as_ref()
        .map(|(name, _)| *name)
        .map_err(Clone::clone)
}

/// The levels this build has and this CPU can run, best first.
pub fn available_cpu_levels() -> Vec<&'static str> {
    LEVELS
        .iter()
        .filter(|level| (level.supported)())
        .map(|level| level.name)
        .collect()
}

/// The levels this build has, best first.
pub fn built_cpu_levels() -> Vec<&'static str> {
    LEVELS.iter().map(|level| level.name).collect()
}

/// The function table of the level in use.
///
/// # Panics
/// When `GHOSTKIT_CPU_LEVEL` names an unavailable level; call [`cpu_level`] first to
/// get that as an error instead.
pub fn raw_api() -> &'static ZcApi {
    match SELECTED.get_or_init(select) {
        Ok((_, table)) => table,
        Err(error) => panic!("{error}"),
    }
}
