use std::ffi::{CStr, c_int};
use std::fmt;

use super::ffi;

/// Everything a database call can fail with.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// SQLite reported an error: `code` is the extended result code
    /// (see [`code_name`]), `message` SQLite's text.
    Sqlite {
        /// Extended result code, e.g. 2067 (`SQLITE_CONSTRAINT_UNIQUE`).
        code: i32,
        /// SQLite's message.
        message: String,
    },
    /// The key does not open this file (or the file is not an encrypted database).
    BadKey,
    /// A key was given but the file is a plain (unencrypted) SQLite database.
    NotEncrypted,
    /// The database or statement was closed.
    Closed,
    /// An argument is out of range or malformed; the text says which.
    InvalidArgument(String),
    /// Deriving the key failed (Argon2id or the random source).
    Crypto(crate::crypto::Error),
}

impl Error {
    pub(crate) fn from_db(db: *mut ffi::sqlite3, code: c_int) -> Error {
        // SAFETY: `db` is an open handle; errmsg returns a NUL-terminated string it owns.
        let (code, message) = unsafe {
            let extended = ffi::sqlite3_extended_errcode(db);
            let code = if extended & 0xff == code & 0xff {
                extended
            } else {
                code
            };
            let msg = ffi::sqlite3_errmsg(db);
            let message = if msg.is_null() {
                errstr(code)
            } else {
                CStr::from_ptr(msg).to_string_lossy().into_owned()
            };
            (code, message)
        };
        Error::Sqlite { code, message }
    }

    pub(crate) fn from_code(code: c_int) -> Error {
        Error::Sqlite {
            code,
            message: errstr(code),
        }
    }

    /// The stable string code: `SQLITE_*` for SQLite errors, `ERR_ZQLITE_*` otherwise.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sqlite { code, .. } => code_name(*code),
            Error::BadKey => "ERR_ZQLITE_BAD_KEY",
            Error::NotEncrypted => "ERR_ZQLITE_NOT_ENCRYPTED",
            Error::Closed => "ERR_ZQLITE_CLOSED",
            Error::InvalidArgument(_) => "ERR_ZQLITE_INVALID_ARG",
            Error::Crypto(_) => "ERR_ZQLITE_CRYPTO",
        }
    }
}

fn errstr(code: c_int) -> String {
    // SAFETY: errstr returns a static NUL-terminated string for any code.
    unsafe { CStr::from_ptr(ffi::sqlite3_errstr(code)) }
        .to_string_lossy()
        .into_owned()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite { message, .. } => f.write_str(message),
            Error::BadKey => f.write_str(
                "the key does not open this database (wrong key, or not an encrypted database)",
            ),
            Error::NotEncrypted => {
                f.write_str("the file is a plain SQLite database, but a key was given")
            }
            Error::Closed => f.write_str("the database connection is closed"),
            Error::InvalidArgument(what) => f.write_str(what),
            Error::Crypto(e) => write!(f, "key derivation failed: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::crypto::Error> for Error {
    fn from(e: crate::crypto::Error) -> Error {
        Error::Crypto(e)
    }
}

/// The name of an SQLite (extended) result code, e.g. `SQLITE_CONSTRAINT_UNIQUE`.
pub fn code_name(code: i32) -> &'static str {
    match code {
        0 => "SQLITE_OK",
        1 => "SQLITE_ERROR",
        2 => "SQLITE_INTERNAL",
        3 => "SQLITE_PERM",
        4 => "SQLITE_ABORT",
        5 => "SQLITE_BUSY",
        6 => "SQLITE_LOCKED",
        7 => "SQLITE_NOMEM",
        8 => "SQLITE_READONLY",
        9 => "SQLITE_INTERRUPT",
        10 => "SQLITE_IOERR",
        11 => "SQLITE_CORRUPT",
        12 => "SQLITE_NOTFOUND",
        13 => "SQLITE_FULL",
        14 => "SQLITE_CANTOPEN",
        15 => "SQLITE_PROTOCOL",
        16 => "SQLITE_EMPTY",
        17 => "SQLITE_SCHEMA",
        18 => "SQLITE_TOOBIG",
        19 => "SQLITE_CONSTRAINT",
        20 => "SQLITE_MISMATCH",
        21 => "SQLITE_MISUSE",
        22 => "SQLITE_NOLFS",
        23 => "SQLITE_AUTH",
        24 => "SQLITE_FORMAT",
        25 => "SQLITE_RANGE",
        26 => "SQLITE_NOTADB",
        27 => "SQLITE_NOTICE",
        28 => "SQLITE_WARNING",
        257 => "SQLITE_ERROR_MISSING_COLLSEQ",
        513 => "SQLITE_ERROR_RETRY",
        769 => "SQLITE_ERROR_SNAPSHOT",
        261 => "SQLITE_BUSY_RECOVERY",
        517 => "SQLITE_BUSY_SNAPSHOT",
        773 => "SQLITE_BUSY_TIMEOUT",
        262 => "SQLITE_LOCKED_SHAREDCACHE",
        518 => "SQLITE_LOCKED_VTAB",
        264 => "SQLITE_READONLY_RECOVERY",
        520 => "SQLITE_READONLY_CANTLOCK",
        776 => "SQLITE_READONLY_ROLLBACK",
        1032 => "SQLITE_READONLY_DBMOVED",
        1288 => "SQLITE_READONLY_CANTINIT",
        1544 => "SQLITE_READONLY_DIRECTORY",
        266 => "SQLITE_IOERR_READ",
        522 => "SQLITE_IOERR_SHORT_READ",
        778 => "SQLITE_IOERR_WRITE",
        1034 => "SQLITE_IOERR_FSYNC",
        1290 => "SQLITE_IOERR_DIR_FSYNC",
        1546 => "SQLITE_IOERR_TRUNCATE",
        1802 => "SQLITE_IOERR_FSTAT",
        2058 => "SQLITE_IOERR_UNLOCK",
        2314 => "SQLITE_IOERR_RDLOCK",
        2570 => "SQLITE_IOERR_DELETE",
        3082 => "SQLITE_IOERR_NOMEM",
        3338 => "SQLITE_IOERR_ACCESS",
        3594 => "SQLITE_IOERR_CHECKRESERVEDLOCK",
        3850 => "SQLITE_IOERR_LOCK",
        4106 => "SQLITE_IOERR_CLOSE",
        4618 => "SQLITE_IOERR_SHMOPEN",
        4874 => "SQLITE_IOERR_SHMSIZE",
        5386 => "SQLITE_IOERR_SHMMAP",
        5642 => "SQLITE_IOERR_SEEK",
        5898 => "SQLITE_IOERR_DELETE_NOENT",
        6154 => "SQLITE_IOERR_MMAP",
        6410 => "SQLITE_IOERR_GETTEMPPATH",
        6666 => "SQLITE_IOERR_CONVPATH",
        267 => "SQLITE_CORRUPT_VTAB",
        523 => "SQLITE_CORRUPT_SEQUENCE",
        779 => "SQLITE_CORRUPT_INDEX",
        270 => "SQLITE_CANTOPEN_NOTEMPDIR",
        526 => "SQLITE_CANTOPEN_ISDIR",
        782 => "SQLITE_CANTOPEN_FULLPATH",
        1038 => "SQLITE_CANTOPEN_CONVPATH",
        1550 => "SQLITE_CANTOPEN_SYMLINK",
        275 => "SQLITE_CONSTRAINT_CHECK",
        531 => "SQLITE_CONSTRAINT_COMMITHOOK",
        787 => "SQLITE_CONSTRAINT_FOREIGNKEY",
        1043 => "SQLITE_CONSTRAINT_FUNCTION",
        1299 => "SQLITE_CONSTRAINT_NOTNULL",
        1555 => "SQLITE_CONSTRAINT_PRIMARYKEY",
        1811 => "SQLITE_CONSTRAINT_TRIGGER",
        2067 => "SQLITE_CONSTRAINT_UNIQUE",
        2323 => "SQLITE_CONSTRAINT_VTAB",
        2579 => "SQLITE_CONSTRAINT_ROWID",
        2835 => "SQLITE_CONSTRAINT_PINNED",
        3091 => "SQLITE_CONSTRAINT_DATATYPE",
        284 => "SQLITE_NOTICE_RECOVER_WAL",
        540 => "SQLITE_NOTICE_RECOVER_ROLLBACK",
        279 => "SQLITE_AUTH_USER",
        other => code_name_primary(other),
    }
}

fn code_name_primary(code: i32) -> &'static str {
    if code & !0xff != 0 && (0..=28).contains(&(code & 0xff)) {
        code_name(code & 0xff)
    } else {
        "SQLITE_UNKNOWN"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_extended_and_primary_codes() {
        assert_eq!(code_name(2067), "SQLITE_CONSTRAINT_UNIQUE");
        assert_eq!(code_name(26), "SQLITE_NOTADB");
        assert_eq!(code_name(19 | (99 << 8)), "SQLITE_CONSTRAINT");
        assert_eq!(code_name(-5), "SQLITE_UNKNOWN");
    }
}
