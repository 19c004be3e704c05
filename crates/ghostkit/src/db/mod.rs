//! zqlite: encrypted embedded SQLite. SQLCipher 4 (SQLite inside) compiled from source,
//! its crypto provider written in Zig on ZCrypto (AES-256-CBC, HMAC-SHA512/256/1, PBKDF2,
//! OS randomness; built per CPU level like ZCrypto). No OpenSSL anywhere.
//!
//! Files are in the SQLCipher 4 format: they open in the stock SQLCipher 4 CLI with the
//! raw key (`PRAGMA key = "x'…'"`), or with the passphrase for [`Key::SqlcipherPassphrase`].
//! [`Key::Passphrase`] stretches a passphrase with Argon2id ([`key::ARGON2_PARAMS`]) salted
//! with the file's own salt, so opening costs milliseconds rather than 256,000 PBKDF2
//! rounds. A wrong key fails at [`Connection::open`] with [`Error::BadKey`].
//!
//! ```
//! use ghostkit::db::{Connection, Key, OpenOptions, ValueRef};
//!
//! let db = Connection::open(":memory:", None, &OpenOptions::default()).unwrap();
//! db.execute_batch("CREATE TABLE t(a, b)").unwrap();
//! let mut insert = db.prepare("INSERT INTO t VALUES (?, ?)").unwrap();
//! insert.bind(1, ValueRef::Integer(1)).unwrap();
//! insert.bind(2, ValueRef::Text(b"one")).unwrap();
//! assert!(!insert.step().unwrap());
//! assert_eq!(db.changes().unwrap(), 1);
//! ```

mod connection;
mod engine;
mod error;
#[doc(hidden)]
pub mod ffi;
pub mod key;
mod statement;
mod value;

pub use connection::{Backup, Connection, OpenOptions};
pub use engine::{ensure_started, memory_used, sqlite_version};
pub use error::{Error, code_name};
pub use key::Key;
pub use statement::{ColumnInfo, Statement};
pub use value::{Value, ValueRef};
