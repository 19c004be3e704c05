use std::ffi::{CStr, CString, c_int, c_void};
use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::key::{Key, KeyPragma, SALT_LEN};
use super::statement::{Statement, StmtSlot};
use super::value::{Value, ValueRef};
use super::{Error, engine, ffi};

/// How to open a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Open read-only.
    pub readonly: bool,
    /// Fail when the file does not exist instead of creating it.
    pub file_must_exist: bool,
    /// How long to wait on another connection's lock before `SQLITE_BUSY`.
    pub busy_timeout_ms: u32,
    /// `PRAGMA journal_mode` to set after opening (`None` keeps the file's mode).
    pub journal_mode: Option<String>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            readonly: false,
            file_must_exist: false,
            busy_timeout_ms: 5000,
            journal_mode: Some("wal".into()),
        }
    }
}

pub(crate) struct Handle {
    db: AtomicPtr<ffi::sqlite3>,
    stmts: Mutex<Vec<Weak<StmtSlot>>>,
    /// The key as handed to SQLCipher, kept for backups (zeroed when dropped).
    key: Mutex<Option<KeyPragma>>,
    closed: AtomicBool,
}

// SAFETY: SQLite is built with SQLITE_THREADSAFE=1 (serialized): a connection may be
// used from any thread, SQLite's own mutex orders the calls.
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Handle {
    pub(crate) fn raw(&self) -> Result<*mut ffi::sqlite3, Error> {
        let db = self.db.load(Ordering::Acquire);
        if db.is_null() {
            Err(Error::Closed)
        } else {
            Ok(db)
        }
    }

    fn close(&self) -> Result<(), Error> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        for slot in self.stmts.lock().unwrap().drain(..) {
            if let Some(slot) = slot.upgrade() {
                slot.finalize();
            }
        }
        self.key.lock().unwrap().take();
        let db = self.db.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if db.is_null() {
            return Ok(());
        }
        // SAFETY: every statement is finalized; close_v2 never leaves the handle half-open.
        let rc = unsafe { ffi::sqlite3_close_v2(db) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(Error::from_code(rc))
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// An open database connection. Cloning gives another handle on the same connection
/// (for a worker thread); [`Connection::close`] closes it for every clone.
///
/// ```
/// use ghostkit::db::{Connection, Key, OpenOptions};
///
/// let dir = std::env::temp_dir().join(format!("zqlite-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("wallet.db");
/// let key = || Some(Key::Raw([7; 32]));
/// let db = Connection::open(&path, key(), &OpenOptions::default()).unwrap();
/// db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (42);").unwrap();
/// db.close().unwrap();
/// let db = Connection::open(&path, key(), &OpenOptions::default()).unwrap();
/// let mut stmt = db.prepare("SELECT x FROM t").unwrap();
/// assert!(stmt.step().unwrap());
/// assert_eq!(stmt.column(0).unwrap(), ghostkit::db::ValueRef::Integer(42));
/// # drop(stmt); db.close().unwrap(); std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Clone)]
pub struct Connection {
    pub(crate) handle: Arc<Handle>,
    encrypted: bool,
    readonly: bool,
}

const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

fn cstring(text: &str, what: &str) -> Result<CString, Error> {
    CString::new(text).map_err(|_| Error::InvalidArgument(format!("{what} contains a NUL byte")))
}

/// Reads the salt (first 16 bytes) of an existing file, `None` for a new or empty one.
fn read_salt(path: &Path) -> Result<Option<[u8; SALT_LEN]>, Error> {
    let Ok(mut file) = fs::File::open(path) else {
        return Ok(None);
    };
    let mut salt = [0u8; SALT_LEN];
    let mut read = 0;
    while read < SALT_LEN {
        match file.read(&mut salt[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => {
                return Err(Error::InvalidArgument(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        }
    }
    match read {
        0 => Ok(None),
        SALT_LEN => Ok(Some(salt)),
        _ => Err(Error::Sqlite {
            code: ffi::SQLITE_NOTADB,
            message: "file is not a database (truncated before its header)".into(),
        }),
    }
}

impl Connection {
    /// Opens (or creates) the database at `path` (`":memory:"` for an in-memory one),
    /// unlocked with `key` (`None`: a plain SQLite database).
    pub fn open(
        path: impl AsRef<Path>,
        key: Option<Key>,
        options: &OpenOptions,
    ) -> Result<Connection, Error> {
        engine::ensure_started()?;
        let path = path.as_ref();
        let text = path
            .to_str()
            .ok_or_else(|| Error::InvalidArgument("the path is not valid UTF-8".into()))?;
        let memory = text == ":memory:" || text.is_empty();
        let mut salt = None;
        if !memory {
            match fs::metadata(path) {
                Ok(meta) if meta.is_dir() => {
                    return Err(Error::Sqlite {
                        code: 526,
                        message: format!("unable to open database file: {text} is a directory"),
                    });
                }
                Ok(meta) => {
                    // Databases are whole pages (512 bytes at least); anything else was cut short.
                    if meta.len() % 512 != 0 {
                        return Err(Error::Sqlite {
                            code: 11,
                            message: format!(
                                "database disk image is malformed: {text} is truncated ({} bytes is not a whole number of pages)",
                                meta.len()
                            ),
                        });
                    }
                    salt = read_salt(path)?
                }
                Err(_) if options.file_must_exist || options.readonly => {
                    return Err(Error::Sqlite {
                        code: 14,
                        message: format!("unable to open database file: {text} does not exist"),
                    });
                }
                Err(_) => {}
            }
        }
        if key.is_some() && salt.as_ref() == Some(PLAIN_HEADER) {
            return Err(Error::NotEncrypted);
        }
        let mut flags = ffi::SQLITE_OPEN_EXRESCODE;
        flags |= if options.readonly {
            ffi::SQLITE_OPEN_READONLY
        } else {
            ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE
        };
        let c_path = cstring(text, "the path")?;
        let mut db = std::ptr::null_mut();
        // SAFETY: valid C string and out pointer; the handle is closed on every error path.
        let rc = unsafe { ffi::sqlite3_open_v2(c_path.as_ptr(), &mut db, flags, std::ptr::null()) };
        let handle = Arc::new(Handle {
            db: AtomicPtr::new(db),
            stmts: Mutex::new(Vec::new()),
            key: Mutex::new(None),
            closed: AtomicBool::new(false),
        });
        if rc != ffi::SQLITE_OK {
            let error = if db.is_null() {
                Error::from_code(rc)
            } else {
                Error::from_db(db, rc)
            };
            return Err(error);
        }
        let conn = Connection {
            handle,
            encrypted: key.is_some() && !memory,
            readonly: options.readonly,
        };
        // SAFETY: db is open.
        unsafe {
            ffi::sqlite3_busy_timeout(db, options.busy_timeout_ms.min(i32::MAX as u32) as c_int)
        };
        if let Some(key) = &key {
            let salt = match salt {
                Some(salt) => salt,
                None => {
                    let mut fresh = [0u8; SALT_LEN];
                    crate::crypto::random_bytes(&mut fresh)?;
                    fresh
                }
            };
            let pragma = key.pragma_value(&salt)?;
            conn.key_pragma("key", &pragma)?;
            *conn.handle.key.lock().unwrap() = Some(pragma);
        }
        // SQLCipher accepts any key; reading the schema is what decrypts page 1.
        if let Err(error) = conn.execute_batch("SELECT count(*) FROM sqlite_schema") {
            let _ = conn.close();
            return Err(match error {
                Error::Sqlite { code, .. }
                    if key.is_some() && code & 0xff == ffi::SQLITE_NOTADB =>
                {
                    Error::BadKey
                }
                other => other,
            });
        }
        if let (Some(mode), false, false) = (&options.journal_mode, options.readonly, memory) {
            if !mode.chars().all(|c| c.is_ascii_alphabetic()) {
                let _ = conn.close();
                return Err(Error::InvalidArgument(format!(
                    "unknown journal mode {mode:?}"
                )));
            }
            if let Err(e) = conn.execute_batch(&format!("PRAGMA journal_mode = {mode}")) {
                let _ = conn.close();
                return Err(e);
            }
        }
        Ok(conn)
    }

    fn key_pragma(&self, which: &str, pragma: &KeyPragma) -> Result<(), Error> {
        let db = self.handle.raw()?;
        exec_key_pragma(db, which, pragma)
    }

    /// Changes the key of an encrypted database (re-encrypting every page).
    pub fn rekey(&self, key: Key) -> Result<(), Error> {
        if !self.encrypted {
            return Err(Error::InvalidArgument(
                "rekey needs a database opened with a key".into(),
            ));
        }
        let salt = self.salt()?;
        let pragma = key.pragma_value(&salt)?;
        self.key_pragma("rekey", &pragma)?;
        *self.handle.key.lock().unwrap() = Some(pragma);
        Ok(())
    }

    fn salt(&self) -> Result<[u8; SALT_LEN], Error> {
        let mut stmt = self.prepare("PRAGMA cipher_salt")?;
        let missing = || Error::InvalidArgument("the database has no salt".into());
        if !stmt.step()? {
            return Err(missing());
        }
        let ValueRef::Text(hex) = stmt.column(0)? else {
            return Err(missing());
        };
        if hex.len() != 2 * SALT_LEN {
            return Err(missing());
        }
        let mut salt = [0u8; SALT_LEN];
        for (byte, pair) in salt.iter_mut().zip(hex.chunks(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| missing())?;
            *byte = u8::from_str_radix(text, 16).map_err(|_| missing())?;
        }
        Ok(salt)
    }

    /// True when opened with a key (on a file).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// True when opened read-only.
    pub fn is_readonly(&self) -> bool {
        self.readonly
    }

    /// True until [`Connection::close`].
    pub fn is_open(&self) -> bool {
        !self.handle.closed.load(Ordering::Acquire)
    }

    /// Closes the connection (finalizing its statements). Idempotent.
    pub fn close(&self) -> Result<(), Error> {
        self.handle.close()
    }

    /// Runs one or more statements separated by `;`, discarding rows.
    pub fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        let db = self.handle.raw()?;
        let c_sql = cstring(sql, "the SQL")?;
        // SAFETY: valid handle and C string; no callback.
        let rc = unsafe {
            ffi::sqlite3_exec(
                db,
                c_sql.as_ptr(),
                std::ptr::null(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(Error::from_db(db, rc))
        }
    }

    /// Compiles one statement. Text after it other than whitespace and comments is an error.
    pub fn prepare(&self, sql: &str) -> Result<Statement, Error> {
        let db = self.handle.raw()?;
        let len = c_int::try_from(sql.len())
            .map_err(|_| Error::InvalidArgument("the SQL is too long".into()))?;
        let mut stmt = std::ptr::null_mut();
        let mut tail = std::ptr::null();
        // SAFETY: sql is valid for len bytes (SQLite does not need a terminator then).
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                &mut tail,
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(Error::from_db(db, rc));
        }
        if stmt.is_null() {
            return Err(Error::InvalidArgument(
                "the SQL contains no statement".into(),
            ));
        }
        let slot = Arc::new(StmtSlot::new(stmt));
        let consumed = (tail as usize)
            .saturating_sub(sql.as_ptr() as usize)
            .min(sql.len());
        if !only_trivia(&sql[consumed..]) {
            slot.finalize();
            return Err(Error::InvalidArgument(
                "the SQL contains more than one statement (use exec for several)".into(),
            ));
        }
        {
            let mut stmts = self.handle.stmts.lock().unwrap();
            if stmts.len() >= 64 && stmts.len().is_power_of_two() {
                stmts.retain(|w| w.strong_count() > 0);
            }
            stmts.push(Arc::downgrade(&slot));
        }
        Ok(Statement::new(slot, self.handle.clone()))
    }

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    pub fn changes(&self) -> Result<i64, Error> {
        // SAFETY: valid handle.
        Ok(unsafe { ffi::sqlite3_changes64(self.handle.raw()?) })
    }

    /// Rowid of the last inserted row.
    pub fn last_insert_rowid(&self) -> Result<i64, Error> {
        // SAFETY: valid handle.
        Ok(unsafe { ffi::sqlite3_last_insert_rowid(self.handle.raw()?) })
    }

    /// True inside an explicit transaction.
    pub fn in_transaction(&self) -> bool {
        // SAFETY: valid handle.
        self.handle
            .raw()
            .map(|db| unsafe { ffi::sqlite3_get_autocommit(db) } == 0)
            .unwrap_or(false)
    }

    /// Makes the running statement fail with `SQLITE_INTERRUPT`; callable from any thread.
    pub fn interrupt(&self) {
        if let Ok(db) = self.handle.raw() {
            // SAFETY: sqlite3_interrupt is safe to call from any thread on an open handle.
            unsafe { ffi::sqlite3_interrupt(db) };
        }
    }

    /// The database as SQLite serializes it (the stored pages: still encrypted).
    pub fn serialize(&self, schema: &str) -> Result<Vec<u8>, Error> {
        let db = self.handle.raw()?;
        let c_schema = cstring(schema, "the schema name")?;
        let mut size = 0i64;
        // SAFETY: valid handle; the returned buffer is ours to free.
        let data = unsafe { ffi::sqlite3_serialize(db, c_schema.as_ptr(), &mut size, 0) };
        if data.is_null() {
            if size == 0 {
                return Err(Error::InvalidArgument(format!(
                    "no database named {schema:?}"
                )));
            }
            return Err(Error::from_code(7));
        }
        // SAFETY: data is valid for size bytes until freed.
        let bytes = unsafe { std::slice::from_raw_parts(data, size as usize) }.to_vec();
        unsafe { ffi::sqlite3_free(data.cast()) };
        Ok(bytes)
    }

    /// Registers a scalar SQL function. `arg_count` -1 accepts any number of arguments.
    /// The function runs on whichever thread steps the statement that calls it.
    pub fn create_scalar_function<F>(
        &self,
        name: &str,
        arg_count: i32,
        deterministic: bool,
        direct_only: bool,
        function: F,
    ) -> Result<(), Error>
    where
        F: FnMut(&[ValueRef<'_>]) -> Result<Value, String> + 'static,
    {
        let db = self.handle.raw()?;
        let c_name = cstring(name, "the function name")?;
        let mut flags = ffi::SQLITE_UTF8;
        if deterministic {
            flags |= ffi::SQLITE_DETERMINISTIC;
        }
        if direct_only {
            flags |= ffi::SQLITE_DIRECTONLY;
        }
        type Boxed = Box<dyn FnMut(&[ValueRef<'_>]) -> Result<Value, String>>;
        let boxed: Box<Boxed> = Box::new(Box::new(function));
        let app = Box::into_raw(boxed) as *mut c_void;

        unsafe extern "C" fn call(
            ctx: *mut ffi::sqlite3_context,
            argc: c_int,
            argv: *mut *mut ffi::sqlite3_value,
        ) {
            // SAFETY: app data is the Box<Boxed> registered below; SQLite serializes calls.
            unsafe {
                let f = &mut *(ffi::sqlite3_user_data(ctx) as *mut Boxed);
                let args: Vec<ValueRef<'_>> = (0..argc as usize)
                    .map(|i| value_ref(*argv.add(i)))
                    .collect();
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&args))) {
                    Ok(Ok(value)) => set_result(ctx, &value),
                    Ok(Err(message)) => {
                        let c = CString::new(message.replace('\0', " ")).unwrap_or_default();
                        ffi::sqlite3_result_error(ctx, c.as_ptr(), -1);
                    }
                    Err(_) => {
                        ffi::sqlite3_result_error(ctx, c"user function panicked".as_ptr(), -1)
                    }
                }
            }
        }
        unsafe extern "C" fn destroy(app: *mut c_void) {
            // SAFETY: the pointer came from Box::into_raw above; SQLite destroys it once.
            drop(unsafe { Box::from_raw(app as *mut Boxed) });
        }
        // SAFETY: valid handle; on failure SQLite calls destroy itself.
        let rc = unsafe {
            ffi::sqlite3_create_function_v2(
                db,
                c_name.as_ptr(),
                arg_count,
                flags,
                app,
                Some(call),
                None,
                None,
                Some(destroy),
            )
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(Error::from_db(db, rc))
        }
    }

    /// Opens `destination` (keyed like this database) and starts an online backup into it.
    pub fn backup_to(&self, destination: impl AsRef<Path>, schema: &str) -> Result<Backup, Error> {
        let source = self.handle.raw()?;
        let dest_path = destination.as_ref();
        let text = dest_path
            .to_str()
            .ok_or_else(|| Error::InvalidArgument("the path is not valid UTF-8".into()))?;
        let c_path = cstring(text, "the path")?;
        let mut dest = std::ptr::null_mut();
        let flags =
            ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE | ffi::SQLITE_OPEN_EXRESCODE;
        // SAFETY: valid strings; dest is closed by Backup::drop or below on error.
        let rc =
            unsafe { ffi::sqlite3_open_v2(c_path.as_ptr(), &mut dest, flags, std::ptr::null()) };
        let close_dest = |dest: *mut ffi::sqlite3| unsafe { ffi::sqlite3_close_v2(dest) };
        if rc != ffi::SQLITE_OK {
            let e = if dest.is_null() {
                Error::from_code(rc)
            } else {
                Error::from_db(dest, rc)
            };
            close_dest(dest);
            return Err(e);
        }
        if let Some(pragma) = self.handle.key.lock().unwrap().as_ref()
            && let Err(e) = exec_key_pragma(dest, "key", pragma)
        {
            close_dest(dest);
            return Err(e);
        }
        let c_schema = cstring(schema, "the schema name")?;
        // SAFETY: both handles open.
        let backup =
            unsafe { ffi::sqlite3_backup_init(dest, c"main".as_ptr(), source, c_schema.as_ptr()) };
        if backup.is_null() {
            let e = Error::from_db(dest, ffi::SQLITE_ERROR);
            close_dest(dest);
            return Err(e);
        }
        Ok(Backup {
            backup,
            dest,
            _source: self.handle.clone(),
        })
    }
}

/// An online backup in progress ([`Connection::backup_to`]).
pub struct Backup {
    backup: *mut ffi::sqlite3_backup,
    dest: *mut ffi::sqlite3,
    _source: Arc<Handle>,
}

// SAFETY: serialized SQLite; the backup is driven by one thread at a time (&mut self).
unsafe impl Send for Backup {}

impl Backup {
    /// Copies up to `pages` pages (-1: all). Returns `(remaining, total)`; 0 remaining = done.
    pub fn step(&mut self, pages: i32) -> Result<(i32, i32), Error> {
        // SAFETY: backup is live until drop.
        let rc = unsafe { ffi::sqlite3_backup_step(self.backup, pages) };
        if rc != ffi::SQLITE_OK && rc != ffi::SQLITE_DONE && rc & 0xff != 5 && rc & 0xff != 6 {
            return Err(Error::from_db(self.dest, rc));
        }
        // SAFETY: as above.
        unsafe {
            Ok((
                ffi::sqlite3_backup_remaining(self.backup),
                ffi::sqlite3_backup_pagecount(self.backup),
            ))
        }
    }
}

impl Drop for Backup {
    fn drop(&mut self) {
        // SAFETY: finish then close, once.
        unsafe {
            ffi::sqlite3_backup_finish(self.backup);
            ffi::sqlite3_close_v2(self.dest);
        }
    }
}

/// Runs `PRAGMA <which> = <key>` on `db` from a NUL-terminated copy that is zeroed after.
fn exec_key_pragma(db: *mut ffi::sqlite3, which: &str, pragma: &KeyPragma) -> Result<(), Error> {
    let mut sql = KeyPragma(format!("PRAGMA {which} = {}\0", pragma.0));
    if sql.0[..sql.0.len() - 1].contains('\0') {
        return Err(Error::InvalidArgument(
            "a key must not contain NUL characters".into(),
        ));
    }
    // SAFETY: valid handle; `sql` is NUL-terminated.
    let rc = unsafe {
        ffi::sqlite3_exec(
            db,
            sql.0.as_ptr().cast(),
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    // SAFETY: zeroes keep the String valid UTF-8.
    super::key::zero(unsafe { sql.0.as_bytes_mut() });
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(Error::from_db(db, rc))
    }
}

fn only_trivia(mut rest: &str) -> bool {
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else {
            return rest.is_empty();
        }
    }
}

/// Reads an argument of a user function.
///
/// # Safety
/// `v` must be a live `sqlite3_value`.
unsafe fn value_ref<'a>(v: *mut ffi::sqlite3_value) -> ValueRef<'a> {
    // SAFETY: per the contract; SQLite keeps the bytes alive for the call.
    unsafe {
        match ffi::sqlite3_value_type(v) {
            ffi::SQLITE_INTEGER => ValueRef::Integer(ffi::sqlite3_value_int64(v)),
            ffi::SQLITE_FLOAT => ValueRef::Real(ffi::sqlite3_value_double(v)),
            ffi::SQLITE_TEXT => {
                let p = ffi::sqlite3_value_text(v);
                let n = ffi::sqlite3_value_bytes(v) as usize;
                ValueRef::Text(if p.is_null() {
                    &[]
                } else {
                    std::slice::from_raw_parts(p, n)
                })
            }
            ffi::SQLITE_BLOB => {
                let n = ffi::sqlite3_value_bytes(v) as usize;
                let p = ffi::sqlite3_value_blob(v) as *const u8;
                ValueRef::Blob(if p.is_null() || n == 0 {
                    &[]
                } else {
                    std::slice::from_raw_parts(p, n)
                })
            }
            _ => ValueRef::Null,
        }
    }
}

/// # Safety
/// `ctx` must be the live context of the current call.
unsafe fn set_result(ctx: *mut ffi::sqlite3_context, value: &Value) {
    // SAFETY: per the contract; TRANSIENT makes SQLite copy.
    unsafe {
        match value {
            Value::Null => ffi::sqlite3_result_null(ctx),
            Value::Integer(i) => ffi::sqlite3_result_int64(ctx, *i),
            Value::Real(r) => ffi::sqlite3_result_double(ctx, *r),
            Value::Text(t) => {
                ffi::sqlite3_result_text(ctx, t.as_ptr().cast(), t.len() as c_int, ffi::transient())
            }
            Value::Blob(b) => {
                ffi::sqlite3_result_blob(ctx, b.as_ptr().cast(), b.len() as c_int, ffi::transient())
            }
        }
    }
}

pub(crate) fn c_str_opt(p: *const std::ffi::c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: SQLite returns NUL-terminated strings valid until the next call.
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}
