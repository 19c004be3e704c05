//! `ghostkit/db`: argument conversion over `ghostkit::db`.
//!
//! Rows cross to JS as flat arrays of values (rows × columns) that `lib/db.js` turns
//! into objects with a per-statement row factory: V8 builds object literals of a known
//! shape faster than property-by-property assignment through Node-API. Values and
//! parameters are converted with raw Node-API calls, the hot path of every query.

use std::ffi::CString;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use ghostkit::db::{self as core, Connection, Key, OpenOptions, Statement, Value, ValueRef};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

/// A JS value passed through untouched.
pub struct Raw(sys::napi_value);

impl TypeName for Raw {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Raw {}

impl FromNapiValue for Raw {
    unsafe fn from_napi_value(_: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        Ok(Raw(value))
    }
}

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        Ok(value.0)
    }
}

/// Every error crosses as `ZQLITE\x01<code>\x01<errno>\x01<message>`; lib/db.js builds
/// the typed error (SqliteError or ZqliteError) from it.
fn js_error(error: core::Error) -> Error {
    let errno = match &error {
        core::Error::Sqlite { code, .. } => *code,
        _ => 0,
    };
    Error::new(
        Status::GenericFailure,
        format!("ZQLITE\u{1}{}\u{1}{errno}\u{1}{error}", error.code()),
    )
}

fn arg_error(message: impl Into<String>) -> Error {
    js_error(core::Error::InvalidArgument(message.into()))
}

macro_rules! check {
    ($call:expr) => {{
        let status = $call;
        if status != sys::Status::napi_ok {
            return Err(Error::new(
                Status::GenericFailure,
                format!("Node-API call failed ({status})"),
            ));
        }
    }};
}

unsafe fn to_js(
    env: sys::napi_env,
    value: ValueRef<'_>,
    safe_integers: bool,
) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: env is the current env; out is a valid out-pointer.
    unsafe {
        match value {
            ValueRef::Null => check!(sys::napi_get_null(env, &mut out)),
            ValueRef::Integer(i) if safe_integers => {
                check!(sys::napi_create_bigint_int64(env, i, &mut out))
            }
            ValueRef::Integer(i) => check!(sys::napi_create_double(env, i as f64, &mut out)),
            ValueRef::Real(r) => check!(sys::napi_create_double(env, r, &mut out)),
            ValueRef::Text(t) => check!(sys::napi_create_string_utf8(
                env,
                t.as_ptr().cast(),
                t.len() as isize,
                &mut out
            )),
            ValueRef::Blob(b) => {
                let mut data = ptr::null_mut();
                check!(sys::napi_create_buffer_copy(
                    env,
                    b.len(),
                    b.as_ptr().cast(),
                    &mut data,
                    &mut out
                ))
            }
        }
    }
    Ok(out)
}

fn owned_ref(value: &Value) -> ValueRef<'_> {
    match value {
        Value::Null => ValueRef::Null,
        Value::Integer(i) => ValueRef::Integer(*i),
        Value::Real(r) => ValueRef::Real(*r),
        Value::Text(t) => ValueRef::Text(t.as_bytes()),
        Value::Blob(b) => ValueRef::Blob(b),
    }
}

/// A JS value to bind, read into `scratch` when it is a string.
unsafe fn from_js<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    scratch: &'a mut Vec<u8>,
) -> Result<ValueRef<'a>> {
    let mut kind = 0;
    // SAFETY: env/value come from the current call.
    unsafe {
        check!(sys::napi_typeof(env, value, &mut kind));
        match kind {
            sys::ValueType::napi_number => {
                let mut f = 0f64;
                check!(sys::napi_get_value_double(env, value, &mut f));
                if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_991.0 {
                    Ok(ValueRef::Integer(f as i64))
                } else {
                    Ok(ValueRef::Real(f))
                }
            }
            sys::ValueType::napi_string => {
                let mut len = 0usize;
                check!(sys::napi_get_value_string_utf8(
                    env,
                    value,
                    ptr::null_mut(),
                    0,
                    &mut len
                ));
                scratch.clear();
                scratch.reserve(len + 1);
                let mut written = 0usize;
                check!(sys::napi_get_value_string_utf8(
                    env,
                    value,
                    scratch.as_mut_ptr().cast(),
                    len + 1,
                    &mut written
                ));
                scratch.set_len(written);
                Ok(ValueRef::Text(scratch))
            }
            sys::ValueType::napi_bigint => {
                let mut i = 0i64;
                let mut lossless = false;
                check!(sys::napi_get_value_bigint_int64(
                    env,
                    value,
                    &mut i,
                    &mut lossless
                ));
                if !lossless {
                    return Err(arg_error("a BigInt parameter does not fit in 64 bits"));
                }
                Ok(ValueRef::Integer(i))
            }
            sys::ValueType::napi_boolean => {
                let mut b = false;
                check!(sys::napi_get_value_bool(env, value, &mut b));
                Ok(ValueRef::Integer(b as i64))
            }
            sys::ValueType::napi_null | sys::ValueType::napi_undefined => Ok(ValueRef::Null),
            sys::ValueType::napi_object => {
                let mut is_typed = false;
                check!(sys::napi_is_typedarray(env, value, &mut is_typed));
                if is_typed {
                    let mut ty = 0;
                    let mut length = 0usize;
                    let mut data = ptr::null_mut();
                    let mut buffer = ptr::null_mut();
                    let mut offset = 0usize;
                    check!(sys::napi_get_typedarray_info(
                        env,
                        value,
                        &mut ty,
                        &mut length,
                        &mut data,
                        &mut buffer,
                        &mut offset
                    ));
                    if ty == sys::TypedarrayType::uint8_array {
                        let bytes = if length == 0 {
                            &[][..]
                        } else {
                            std::slice::from_raw_parts(data as *const u8, length)
                        };
                        return Ok(ValueRef::Blob(bytes));
                    }
                }
                Err(arg_error(
                    "SQLite can only bind numbers, strings, bigints, buffers, and null",
                ))
            }
            _ => Err(arg_error(
                "SQLite can only bind numbers, strings, bigints, buffers, and null",
            )),
        }
    }
}

/// Binds a JS array holding one value per parameter, in parameter order (lib/db.js
/// resolves named parameters to their positions).
fn bind_js(
    env: sys::napi_env,
    stmt: &mut Statement,
    count: usize,
    values: &Raw,
    scratch: &mut Vec<u8>,
) -> Result<()> {
    let mut kind = 0;
    let mut given = 0u32;
    // SAFETY: values from the current call.
    unsafe {
        check!(sys::napi_typeof(env, values.0, &mut kind));
        if kind == sys::ValueType::napi_object {
            check!(sys::napi_get_array_length(env, values.0, &mut given));
        }
        if (given as usize) < count {
            return Err(arg_error("Too few parameter values were provided"));
        }
        if given as usize > count {
            return Err(arg_error("Too many parameter values were provided"));
        }
        for i in 0..count {
            let mut value = ptr::null_mut();
            check!(sys::napi_get_element(env, values.0, i as u32, &mut value));
            let v = from_js(env, value, scratch)?;
            stmt.bind(i + 1, v).map_err(js_error)?;
        }
    }
    Ok(())
}

/// A compiled statement (wrapped by `Statement` in lib/db.js).
#[napi]
pub struct NativeStatement {
    stmt: Statement,
    param_count: usize,
    columns: usize,
    safe_integers: bool,
    scratch: Vec<u8>,
    /// Set while a fast-path call runs (see `fast_call`).
    busy: bool,
}

#[napi]
impl NativeStatement {
    /// Parameter names in order: the name without its prefix, or null for a positional one.
    #[napi]
    pub fn param_names(&self) -> Result<Vec<Option<String>>> {
        (1..=self.param_count)
            .map(|i| {
                let name = self.stmt.parameter_name(i).map_err(js_error)?;
                Ok(name
                    .filter(|n| !n.starts_with('?'))
                    .map(|n| n[1..].to_string()))
            })
            .collect()
    }

    /// Result column names.
    #[napi]
    pub fn column_names(&self) -> Result<Vec<String>> {
        self.stmt.column_names().map_err(js_error)
    }

    /// `[name, column, table, database, type]` per result column.
    #[napi]
    pub fn columns(&self) -> Result<Vec<Vec<Option<String>>>> {
        Ok(self
            .stmt
            .columns()
            .map_err(js_error)?
            .into_iter()
            .map(|c| vec![Some(c.name), c.origin, c.table, c.database, c.decltype])
            .collect())
    }

    /// True when the statement does not write.
    #[napi]
    pub fn readonly(&self) -> Result<bool> {
        self.stmt.readonly().map_err(js_error)
    }

    /// Number of result columns.
    #[napi]
    pub fn column_count(&self) -> u32 {
        self.columns as u32
    }

    /// INTEGER values as BigInt.
    #[napi]
    pub fn set_safe_integers(&mut self, on: bool) {
        self.safe_integers = on;
    }

    /// Runs to completion: `[changes, lastInsertRowid]`.
    #[napi]
    pub fn run(&mut self, env: Env, values: Raw) -> Result<Raw> {
        self.run_raw(env.raw(), values)
    }

    /// Binds and steps up to `limit` rows (negative: all); returns the values flat.
    #[napi]
    pub fn rows(&mut self, env: Env, values: Raw, limit: i32) -> Result<Raw> {
        self.rows_raw(env.raw(), values, limit)
    }

    /// Binds for `iterate()` (resetting first).
    #[napi]
    pub fn start(&mut self, env: Env, values: Raw) -> Result<()> {
        self.stmt.reset().map_err(js_error)?;
        bind_js(
            env.raw(),
            &mut self.stmt,
            self.param_count,
            &values,
            &mut self.scratch,
        )
    }

    /// The next row's values, or null at the end.
    #[napi]
    pub fn next(&mut self, env: Env) -> Result<Raw> {
        self.next_raw(env.raw())
    }

    /// Ends an iteration early.
    #[napi]
    pub fn reset(&mut self) -> Result<()> {
        self.stmt.reset().map_err(js_error)
    }
}

impl NativeStatement {
    fn run_raw(&mut self, env: sys::napi_env, values: Raw) -> Result<Raw> {
        bind_js(
            env,
            &mut self.stmt,
            self.param_count,
            &values,
            &mut self.scratch,
        )?;
        while self.stmt.step().map_err(js_error)? {}
        let changes = self.stmt.changes().map_err(js_error)?;
        let rowid = self.stmt.last_insert_rowid().map_err(js_error)?;
        // SAFETY: the current env.
        unsafe {
            let mut out = ptr::null_mut();
            check!(sys::napi_create_array_with_length(env, 2, &mut out));
            let c = to_js(env, ValueRef::Integer(changes), false)?;
            let r = to_js(env, ValueRef::Integer(rowid), self.safe_integers)?;
            check!(sys::napi_set_element(env, out, 0, c));
            check!(sys::napi_set_element(env, out, 1, r));
            Ok(Raw(out))
        }
    }

    fn next_raw(&mut self, env: sys::napi_env) -> Result<Raw> {
        if !self.stmt.step().map_err(js_error)? {
            let mut null = ptr::null_mut();
            // SAFETY: the current env.
            unsafe { check!(sys::napi_get_null(env, &mut null)) };
            return Ok(Raw(null));
        }
        self.row_array(env)
    }

    fn rows_raw(&mut self, env: sys::napi_env, values: Raw, limit: i32) -> Result<Raw> {
        bind_js(
            env,
            &mut self.stmt,
            self.param_count,
            &values,
            &mut self.scratch,
        )?;
        self.collect(env, limit)
    }

    fn row_array(&self, env: sys::napi_env) -> Result<Raw> {
        // SAFETY: the current env; the statement is on a row.
        unsafe {
            let mut out = ptr::null_mut();
            check!(sys::napi_create_array_with_length(
                env,
                self.columns,
                &mut out
            ));
            for i in 0..self.columns {
                let v = to_js(
                    env,
                    self.stmt.column(i).map_err(js_error)?,
                    self.safe_integers,
                )?;
                check!(sys::napi_set_element(env, out, i as u32, v));
            }
            Ok(Raw(out))
        }
    }

    fn collect(&mut self, env: sys::napi_env, limit: i32) -> Result<Raw> {
        // SAFETY: the current env.
        unsafe {
            if limit == 1 {
                // get(): the row's values, or null.
                if !self.stmt.step().map_err(js_error)? {
                    let mut null = ptr::null_mut();
                    check!(sys::napi_get_null(env, &mut null));
                    return Ok(Raw(null));
                }
                let row = self.row_array(env);
                self.stmt.reset().map_err(js_error)?;
                return row;
            }
            let mut out = ptr::null_mut();
            check!(sys::napi_create_array(env, &mut out));
            let mut n = 0u32;
            let mut rows = 0i32;
            while limit < 0 || rows < limit {
                if !self.stmt.step().map_err(js_error)? {
                    break;
                }
                for i in 0..self.columns {
                    let v = to_js(
                        env,
                        self.stmt.column(i).map_err(js_error)?,
                        self.safe_integers,
                    )?;
                    check!(sys::napi_set_element(env, out, n, v));
                    n += 1;
                }
                rows += 1;
            }
            if limit >= 0 {
                self.stmt.reset().map_err(js_error)?;
            }
            Ok(Raw(out))
        }
    }
}

// The hot path without napi-rs's per-call borrow bookkeeping: `run` and `rows` as plain
// Node-API callbacks, installed on the NativeStatement prototype by lib/db.js. They check
// the receiver's type tag (set by napi-rs for the class) before unwrapping it, and refuse
// re-entry (a user function running the statement that calls it).

unsafe fn throw(env: sys::napi_env, error: &Error) {
    let mut pending = false;
    // SAFETY: the current env.
    unsafe {
        sys::napi_is_exception_pending(env, &mut pending);
        if !pending {
            let message = CString::new(error.reason.replace('\0', " ")).unwrap_or_default();
            sys::napi_throw_error(env, ptr::null(), message.as_ptr());
        }
    }
}

unsafe fn fast_call(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    f: impl FnOnce(&mut NativeStatement, sys::napi_env, [sys::napi_value; 2]) -> Result<Raw>,
) -> sys::napi_value {
    let mut argc = 2usize;
    let mut argv = [ptr::null_mut(); 2];
    let mut this = ptr::null_mut();
    // SAFETY: a callback of this env; napi-rs wraps NativeStatement as Box<NativeStatement>
    // and tags it with its type tag, checked before the unwrap.
    unsafe {
        let status = sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            &mut this,
            ptr::null_mut(),
        );
        let tag = <NativeStatement as TypeTag>::type_tag();
        let mut tagged = false;
        if status != sys::Status::napi_ok
            || sys::napi_check_object_type_tag(env, this, &tag, &mut tagged) != sys::Status::napi_ok
            || !tagged
        {
            throw(env, &arg_error("not a statement"));
            return ptr::null_mut();
        }
        let mut wrapped = ptr::null_mut();
        if sys::napi_unwrap(env, this, &mut wrapped) != sys::Status::napi_ok || wrapped.is_null() {
            throw(env, &arg_error("not a statement"));
            return ptr::null_mut();
        }
        let stmt = &mut *(wrapped as *mut NativeStatement);
        if stmt.busy {
            throw(
                env,
                &js_error(core::Error::InvalidArgument(
                    "the statement is already running (re-entered from a user function)".into(),
                )),
            );
            return ptr::null_mut();
        }
        stmt.busy = true;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(stmt, env, argv)));
        stmt.busy = false;
        match result {
            Ok(Ok(value)) => value.0,
            Ok(Err(error)) => {
                throw(env, &error);
                ptr::null_mut()
            }
            Err(_) => {
                throw(
                    env,
                    &Error::new(
                        Status::GenericFailure,
                        "internal error (panic) in a statement",
                    ),
                );
                ptr::null_mut()
            }
        }
    }
}

unsafe extern "C" fn fast_run(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: called by Node-API with this env and info.
    unsafe { fast_call(env, info, |stmt, env, argv| stmt.run_raw(env, Raw(argv[0]))) }
}

unsafe extern "C" fn fast_rows(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: called by Node-API with this env and info.
    unsafe {
        fast_call(env, info, |stmt, env, argv| {
            let mut limit = 0i32;
            check!(sys::napi_get_value_int32(env, argv[1], &mut limit));
            stmt.rows_raw(env, Raw(argv[0]), limit)
        })
    }
}

unsafe extern "C" fn fast_next(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: called by Node-API with this env and info.
    unsafe { fast_call(env, info, |stmt, env, _| stmt.next_raw(env)) }
}

/// `[run, rows, next]` as plain Node-API functions (see `fast_call`).
#[napi(ts_return_type = "Function[]")]
pub fn db_statement_fast_paths(env: Env) -> Result<Vec<Raw>> {
    let callbacks: [(&std::ffi::CStr, sys::napi_callback); 3] = [
        (c"run", Some(fast_run)),
        (c"rows", Some(fast_rows)),
        (c"next", Some(fast_next)),
    ];
    let mut out = Vec::with_capacity(callbacks.len());
    for (name, callback) in callbacks {
        let mut f = ptr::null_mut();
        // SAFETY: the current env; static name and callback.
        unsafe {
            check!(sys::napi_create_function(
                env.raw(),
                name.as_ptr(),
                name.to_bytes().len() as isize,
                callback,
                ptr::null_mut(),
                &mut f
            ));
        }
        out.push(Raw(f));
    }
    Ok(out)
}

/// A `db.async` call; it gets `None` when the database closed before its turn.
type Job = Box<dyn FnOnce(Option<&Connection>) + Send>;

/// The database's own thread for `db.async`: a bounded queue, one job at a time.
struct Worker {
    jobs: Option<mpsc::SyncSender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
    closing: Arc<AtomicBool>,
    conn: Connection,
}

/// Calls queued behind the running one; lib/db.js waits for a slot beyond that, so a
/// full queue never blocks the event loop.
const WORKER_QUEUE_MAX: usize = 256;

impl Worker {
    fn start(conn: Connection) -> Worker {
        let (tx, rx) = mpsc::sync_channel::<Job>(WORKER_QUEUE_MAX);
        let closing = Arc::new(AtomicBool::new(false));
        let worker_conn = conn.clone();
        let flag = closing.clone();
        let thread = thread::Builder::new()
            .name("zqlite-async".into())
            .spawn(move || {
                for job in rx {
                    if flag.load(Ordering::Acquire) {
                        job(None);
                    } else {
                        job(Some(&worker_conn));
                    }
                }
            })
            .expect("spawn the database thread");
        Worker {
            jobs: Some(tx),
            thread: Some(thread),
            closing,
            conn,
        }
    }

    fn submit(&self, job: Job) -> Result<()> {
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| js_error(core::Error::Closed))?;
        jobs.try_send(job).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => js_error(core::Error::InvalidArgument(
                "too many db.async calls are queued".into(),
            )),
            mpsc::TrySendError::Disconnected(_) => js_error(core::Error::Closed),
        })
    }

    /// Rejects the queued calls, interrupts the running one, and waits for the thread.
    fn stop(&mut self) {
        self.closing.store(true, Ordering::Release);
        self.conn.interrupt();
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl ToNapiValue for AsyncOutput {
    /// `[columnNames, flatValues, changes, lastInsertRowid]`.
    unsafe fn to_napi_value(env: sys::napi_env, out: Self) -> Result<sys::napi_value> {
        // SAFETY: called on the JS thread with its env.
        unsafe {
            let mut result = ptr::null_mut();
            check!(sys::napi_create_array_with_length(env, 4, &mut result));
            let mut names = ptr::null_mut();
            check!(sys::napi_create_array_with_length(
                env,
                out.columns.len(),
                &mut names
            ));
            for (i, name) in out.columns.iter().enumerate() {
                let v = to_js(env, ValueRef::Text(name.as_bytes()), false)?;
                check!(sys::napi_set_element(env, names, i as u32, v));
            }
            let mut flat = ptr::null_mut();
            check!(sys::napi_create_array_with_length(
                env,
                out.values.len(),
                &mut flat
            ));
            for (i, value) in out.values.iter().enumerate() {
                let v = to_js(env, owned_ref(value), out.safe_integers)?;
                check!(sys::napi_set_element(env, flat, i as u32, v));
            }
            check!(sys::napi_set_element(env, result, 0, names));
            check!(sys::napi_set_element(env, result, 1, flat));
            check!(sys::napi_set_element(
                env,
                result,
                2,
                to_js(env, ValueRef::Integer(out.changes), false)?
            ));
            check!(sys::napi_set_element(
                env,
                result,
                3,
                to_js(env, ValueRef::Integer(out.rowid), out.safe_integers)?
            ));
            Ok(result)
        }
    }
}

/// What an async statement produced.
struct AsyncOutput {
    columns: Vec<String>,
    values: Vec<Value>,
    changes: i64,
    rowid: i64,
    safe_integers: bool,
}

fn run_async(
    conn: &Connection,
    kind: u32,
    sql: &str,
    positional: &[Value],
    named: &[(String, Value)],
) -> std::result::Result<AsyncOutput, core::Error> {
    if kind == 3 {
        conn.execute_batch(sql)?;
        return Ok(AsyncOutput {
            columns: vec![],
            values: vec![],
            changes: 0,
            rowid: 0,
            safe_integers: false,
        });
    }
    let mut stmt = conn.prepare(sql)?;
    let count = stmt.parameter_count()?;
    let mut next = 0;
    for i in 1..=count {
        let value = match stmt.parameter_name(i)? {
            Some(name) if !name.starts_with('?') => named
                .iter()
                .find(|(k, _)| *k == name[1..])
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    core::Error::InvalidArgument(format!(
                        "Missing named parameter \"{}\"",
                        &name[1..]
                    ))
                })?,
            _ => {
                next += 1;
                positional.get(next - 1).ok_or_else(|| {
                    core::Error::InvalidArgument("Too few parameter values were provided".into())
                })?
            }
        };
        stmt.bind(i, owned_ref(value))?;
    }
    if next < positional.len() {
        return Err(core::Error::InvalidArgument(
            "Too many parameter values were provided".into(),
        ));
    }
    let columns = stmt.column_names()?;
    let mut values = Vec::new();
    let limit = if kind == 1 { 1 } else { usize::MAX };
    let mut rows = 0;
    while rows < limit && stmt.step()? {
        for i in 0..columns.len() {
            values.push(stmt.column(i)?.to_owned());
        }
        rows += 1;
    }
    stmt.reset()?;
    Ok(AsyncOutput {
        columns,
        values,
        changes: conn.changes()?,
        rowid: conn.last_insert_rowid()?,
        safe_integers: false,
    })
}

fn owned_from_js(env: sys::napi_env, value: sys::napi_value) -> Result<Value> {
    let mut scratch = Vec::new();
    // SAFETY: value from the current call.
    Ok(unsafe { from_js(env, value, &mut scratch)? }.to_owned())
}

/// Approximate native memory of an open connection (page cache and statements),
/// reported to V8 so that it weighs garbage collection accordingly.
const CONNECTION_MEMORY_BYTES: i64 = 2 * 1024 * 1024;

/// How lib/db.js opens a database.
#[napi(object)]
pub struct NativeOpenOptions {
    pub readonly: bool,
    pub file_must_exist: bool,
    pub timeout_ms: u32,
    pub journal_mode: Option<String>,
}

/// How lib/db.js registers a user function.
#[napi(object)]
pub struct NativeFunctionOptions {
    pub arg_count: i32,
    pub deterministic: bool,
    pub direct_only: bool,
    pub safe_integers: bool,
}

/// An open database (wrapped by `Database` in lib/db.js).
#[napi]
pub struct NativeDatabase {
    conn: Connection,
    worker: Option<Worker>,
    env: sys::napi_env,
    reported: bool,
}

fn key_of(kind: u32, bytes: Option<Buffer>) -> Result<Option<Key>> {
    let bytes = bytes.map(|b| b.to_vec());
    Ok(match (kind, bytes) {
        (0, _) => None,
        (1, Some(b)) => Some(Key::Passphrase(b)),
        (2, Some(mut b)) => {
            let raw: std::result::Result<[u8; 32], _> = b.as_slice().try_into();
            // The copy is not needed any more: wipe it before it is freed.
            b.iter_mut()
                .for_each(|x| unsafe { ptr::write_volatile(x, 0) });
            Some(Key::Raw(
                raw.map_err(|_| arg_error("rawKey must be exactly 32 bytes"))?,
            ))
        }
        (3, Some(b)) => Some(Key::SqlcipherPassphrase(b)),
        _ => return Err(arg_error("unknown key kind")),
    })
}

#[napi]
impl NativeDatabase {
    /// Opens the database. `key_kind`: 0 none, 1 passphrase (Argon2id), 2 raw, 3 SQLCipher passphrase.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        path: String,
        key_kind: u32,
        key: Option<Buffer>,
        options: NativeOpenOptions,
    ) -> Result<Self> {
        let key = key_of(key_kind, key)?;
        let options = OpenOptions {
            readonly: options.readonly,
            file_must_exist: options.file_must_exist,
            busy_timeout_ms: options.timeout_ms,
            journal_mode: options.journal_mode,
        };
        let conn = Connection::open(&path, key, &options).map_err(js_error)?;
        let mut adjusted = 0i64;
        // SAFETY: the current env.
        unsafe {
            sys::napi_adjust_external_memory(env.raw(), CONNECTION_MEMORY_BYTES, &mut adjusted)
        };
        Ok(NativeDatabase {
            conn,
            worker: None,
            env: env.raw(),
            reported: true,
        })
    }

    /// Compiles one statement.
    #[napi]
    pub fn prepare(&self, sql: String) -> Result<NativeStatement> {
        let stmt = self.conn.prepare(&sql).map_err(js_error)?;
        let param_count = stmt.parameter_count().map_err(js_error)?;
        let columns = stmt.column_count().map_err(js_error)?;
        Ok(NativeStatement {
            stmt,
            param_count,
            columns,
            safe_integers: false,
            scratch: Vec::new(),
            busy: false,
        })
    }

    /// Runs statements without parameters.
    #[napi]
    pub fn exec(&self, sql: String) -> Result<()> {
        self.conn.execute_batch(&sql).map_err(js_error)
    }

    /// True inside a transaction.
    #[napi(getter)]
    pub fn in_transaction(&self) -> bool {
        self.conn.in_transaction()
    }

    /// True while open.
    #[napi(getter)]
    pub fn is_open(&self) -> bool {
        self.conn.is_open()
    }

    /// True when opened with a key.
    #[napi(getter)]
    pub fn encrypted(&self) -> bool {
        self.conn.is_encrypted()
    }

    /// Interrupts the running statement.
    #[napi]
    pub fn interrupt(&self) {
        self.conn.interrupt();
    }

    /// The serialized database.
    #[napi]
    pub fn serialize(&self, schema: String) -> Result<Buffer> {
        Ok(self.conn.serialize(&schema).map_err(js_error)?.into())
    }

    /// Changes the key.
    #[napi]
    pub fn rekey(&self, key_kind: u32, key: Buffer) -> Result<()> {
        let key = key_of(key_kind, Some(key))?.ok_or_else(|| arg_error("rekey needs a key"))?;
        self.conn.rekey(key).map_err(js_error)
    }

    /// Registers a user function; it may only run on the JS thread (not from `db.async`).
    #[napi]
    pub fn function(
        &self,
        env: Env,
        name: String,
        options: NativeFunctionOptions,
        callback: Raw,
    ) -> Result<()> {
        let NativeFunctionOptions {
            arg_count,
            deterministic,
            direct_only,
            safe_integers,
        } = options;
        let raw_env = env.raw();
        let mut reference = ptr::null_mut();
        // SAFETY: the current env; the reference lives as long as SQLite keeps the function.
        unsafe {
            check!(sys::napi_create_reference(
                raw_env,
                callback.0,
                1,
                &mut reference
            ))
        };
        let js_thread = thread::current().id();
        let holder = FunctionRef {
            env: raw_env,
            reference,
        };
        self.conn
            .create_scalar_function(&name, arg_count, deterministic, direct_only, move |args| {
                if thread::current().id() != js_thread {
                    return Err("user functions cannot run in db.async statements".into());
                }
                // SAFETY: on the JS thread, inside a synchronous call from JS.
                unsafe { holder.call(args, safe_integers) }
            })
            .map_err(js_error)
    }

    /// Runs a statement on the database thread: kind 0 run, 1 get, 2 all, 3 exec.
    /// Resolves to `[columnNames, flatValues, changes, lastInsertRowid]`.
    #[napi(ts_return_type = "Promise<unknown>")]
    pub fn run_async(
        &mut self,
        env: Env,
        kind: u32,
        sql: String,
        positional: Raw,
        named: Raw,
        safe_integers: bool,
    ) -> Result<Raw> {
        let raw_env = env.raw();
        let mut values = Vec::new();
        let mut pairs = Vec::new();
        // SAFETY: values from the current call.
        unsafe {
            let mut ty = 0;
            check!(sys::napi_typeof(raw_env, positional.0, &mut ty));
            if ty == sys::ValueType::napi_object {
                let mut n = 0u32;
                check!(sys::napi_get_array_length(raw_env, positional.0, &mut n));
                for i in 0..n {
                    let mut v = ptr::null_mut();
                    check!(sys::napi_get_element(raw_env, positional.0, i, &mut v));
                    values.push(owned_from_js(raw_env, v)?);
                }
            }
            check!(sys::napi_typeof(raw_env, named.0, &mut ty));
            if ty == sys::ValueType::napi_object {
                let mut keys = ptr::null_mut();
                check!(sys::napi_get_property_names(raw_env, named.0, &mut keys));
                let mut n = 0u32;
                check!(sys::napi_get_array_length(raw_env, keys, &mut n));
                for i in 0..n {
                    let mut k = ptr::null_mut();
                    check!(sys::napi_get_element(raw_env, keys, i, &mut k));
                    let mut v = ptr::null_mut();
                    check!(sys::napi_get_property(raw_env, named.0, k, &mut v));
                    let Value::Text(key) = owned_from_js(raw_env, k)? else {
                        continue;
                    };
                    pairs.push((key, owned_from_js(raw_env, v)?));
                }
            }
        }
        if !self.conn.is_open() {
            return Err(js_error(core::Error::Closed));
        }
        let worker = self
            .worker
            .get_or_insert_with(|| Worker::start(self.conn.clone()));
        let (deferred, promise) = env.create_deferred()?;
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Some(conn) => run_async(conn, kind, &sql, &values, &pairs),
                None => Err(core::Error::Closed),
            };
            match result {
                Ok(mut out) => {
                    out.safe_integers = safe_integers;
                    deferred.resolve(move |_| Ok(out));
                }
                Err(error) => deferred.reject(js_error(error)),
            }
        });
        worker.submit(job)?;
        Ok(Raw(promise.raw()))
    }

    /// Starts a backup into `destination`, keyed like this database.
    #[napi]
    pub fn backup(&self, destination: String, schema: String) -> Result<NativeBackup> {
        let backup = self
            .conn
            .backup_to(&destination, &schema)
            .map_err(js_error)?;
        Ok(NativeBackup {
            backup: Arc::new(Mutex::new(Some(backup))),
        })
    }

    /// Closes the database, after the async thread has finished its queue.
    #[napi]
    pub fn close(&mut self) -> Result<()> {
        if let Some(mut worker) = self.worker.take() {
            worker.stop();
        }
        if self.reported {
            self.reported = false;
            let mut adjusted = 0i64;
            // SAFETY: close is called from JS on the env's thread.
            unsafe {
                sys::napi_adjust_external_memory(self.env, -CONNECTION_MEMORY_BYTES, &mut adjusted)
            };
        }
        self.conn.close().map_err(js_error)
    }
}

impl Drop for NativeDatabase {
    fn drop(&mut self) {
        if let Some(mut worker) = self.worker.take() {
            worker.stop();
        }
        let _ = self.conn.close();
    }
}

/// A backup in progress; each step runs on the libuv pool, off the event loop.
#[napi]
pub struct NativeBackup {
    backup: Arc<Mutex<Option<core::Backup>>>,
}

pub struct BackupStep {
    backup: Arc<Mutex<Option<core::Backup>>>,
    pages: i32,
}

impl Task for BackupStep {
    type Output = Vec<i32>;
    type JsValue = Vec<i32>;

    fn compute(&mut self) -> Result<Self::Output> {
        let mut slot = self.backup.lock().unwrap();
        let backup = slot.as_mut().ok_or_else(|| js_error(core::Error::Closed))?;
        let (remaining, total) = backup.step(self.pages).map_err(js_error)?;
        if remaining == 0 {
            // Finishing the backup (drop) closes the destination.
            slot.take();
        }
        Ok(vec![remaining, total])
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

#[napi]
impl NativeBackup {
    /// Copies up to `pages` pages; resolves to `[remaining, total]`.
    #[napi(ts_return_type = "Promise<number[]>")]
    pub fn step(&self, pages: i32) -> AsyncTask<BackupStep> {
        AsyncTask::new(BackupStep {
            backup: self.backup.clone(),
            pages,
        })
    }
}

/// A JS function kept alive for SQLite.
struct FunctionRef {
    env: sys::napi_env,
    reference: sys::napi_ref,
}

impl FunctionRef {
    /// # Safety
    /// Must run on the JS thread of `env`, inside a call from JS.
    unsafe fn call(
        &self,
        args: &[ValueRef<'_>],
        safe_integers: bool,
    ) -> std::result::Result<Value, String> {
        let env = self.env;
        let fail = |what: &str| format!("user function: {what}");
        // SAFETY: per the contract.
        unsafe {
            let mut f = ptr::null_mut();
            if sys::napi_get_reference_value(env, self.reference, &mut f) != sys::Status::napi_ok {
                return Err(fail("the function is gone"));
            }
            let mut argv = Vec::with_capacity(args.len());
            for a in args {
                argv.push(to_js(env, *a, safe_integers).map_err(|e| e.reason.clone())?);
            }
            let mut undefined = ptr::null_mut();
            sys::napi_get_undefined(env, &mut undefined);
            let mut result = ptr::null_mut();
            let status =
                sys::napi_call_function(env, undefined, f, argv.len(), argv.as_ptr(), &mut result);
            if status != sys::Status::napi_ok {
                // The JS exception stays pending and surfaces when the statement returns.
                return Err(fail("threw an exception"));
            }
            let mut scratch = Vec::new();
            match from_js(env, result, &mut scratch) {
                Ok(v) => Ok(v.to_owned()),
                Err(_) => Err(fail("returned a value SQLite cannot store")),
            }
        }
    }
}

impl Drop for FunctionRef {
    fn drop(&mut self) {
        // SAFETY: SQLite drops the function on the JS thread (close or re-registration).
        unsafe { sys::napi_delete_reference(self.env, self.reference) };
    }
}

/// `{ sqlite, provider }` versions.
#[napi]
pub fn db_versions() -> Result<Vec<String>> {
    let level = core::ensure_started().map_err(js_error)?;
    Ok(vec![core::sqlite_version(), level.to_string()])
}
