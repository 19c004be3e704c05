//! The parts of the SQLite C API (`sqlite3.h` of the SQLCipher amalgamation) this module
//! uses, and the provider table of `zig/include/zsqlcipher.h`.

#![allow(missing_docs, non_camel_case_types)]

use std::ffi::{c_char, c_int, c_uchar, c_void};

pub enum sqlite3 {}
pub enum sqlite3_stmt {}
pub enum sqlite3_context {}
pub enum sqlite3_value {}
pub enum sqlite3_backup {}

pub type sqlite3_destructor_type = Option<unsafe extern "C" fn(*mut c_void)>;

/// `SQLITE_TRANSIENT`: SQLite copies the bound value.
pub fn transient() -> sqlite3_destructor_type {
    // SAFETY: SQLite defines SQLITE_TRANSIENT as the pointer value -1, never called.
    Some(unsafe { std::mem::transmute::<isize, unsafe extern "C" fn(*mut c_void)>(-1) })
}

pub const SQLITE_OK: c_int = 0;
pub const SQLITE_ERROR: c_int = 1;
pub const SQLITE_INTERRUPT: c_int = 9;
pub const SQLITE_NOTADB: c_int = 26;
pub const SQLITE_MISUSE: c_int = 21;
pub const SQLITE_RANGE: c_int = 25;
pub const SQLITE_ROW: c_int = 100;
pub const SQLITE_DONE: c_int = 101;

pub const SQLITE_OPEN_READONLY: c_int = 0x0000_0001;
pub const SQLITE_OPEN_READWRITE: c_int = 0x0000_0002;
pub const SQLITE_OPEN_CREATE: c_int = 0x0000_0004;
pub const SQLITE_OPEN_URI: c_int = 0x0000_0040;
pub const SQLITE_OPEN_MEMORY: c_int = 0x0000_0080;
pub const SQLITE_OPEN_NOMUTEX: c_int = 0x0000_8000;
pub const SQLITE_OPEN_EXRESCODE: c_int = 0x0200_0000;

pub const SQLITE_INTEGER: c_int = 1;
pub const SQLITE_FLOAT: c_int = 2;
pub const SQLITE_TEXT: c_int = 3;
pub const SQLITE_BLOB: c_int = 4;
pub const SQLITE_NULL: c_int = 5;

pub const SQLITE_UTF8: c_int = 1;
pub const SQLITE_DETERMINISTIC: c_int = 0x0000_0800;
pub const SQLITE_DIRECTONLY: c_int = 0x0008_0000;

pub const SQLITE_PREPARE_PERSISTENT: u32 = 0x01;

pub const SQLITE_SERIALIZE_NOCOPY: u32 = 0x001;

pub type ScalarFn = unsafe extern "C" fn(*mut sqlite3_context, c_int, *mut *mut sqlite3_value);
pub type DestroyFn = unsafe extern "C" fn(*mut c_void);

unsafe extern "C" {
    pub fn sqlite3_libversion() -> *const c_char;
    pub fn sqlite3_initialize() -> c_int;
    pub fn sqlite3_open_v2(
        filename: *const c_char,
        db: *mut *mut sqlite3,
        flags: c_int,
        vfs: *const c_char,
    ) -> c_int;
    pub fn sqlite3_close_v2(db: *mut sqlite3) -> c_int;
    pub fn sqlite3_extended_errcode(db: *mut sqlite3) -> c_int;
    pub fn sqlite3_errmsg(db: *mut sqlite3) -> *const c_char;
    pub fn sqlite3_errstr(code: c_int) -> *const c_char;
    pub fn sqlite3_extended_result_codes(db: *mut sqlite3, on: c_int) -> c_int;
    pub fn sqlite3_busy_timeout(db: *mut sqlite3, ms: c_int) -> c_int;
    pub fn sqlite3_exec(
        db: *mut sqlite3,
        sql: *const c_char,
        cb: *const c_void,
        arg: *mut c_void,
        errmsg: *mut *mut c_char,
    ) -> c_int;
    pub fn sqlite3_changes64(db: *mut sqlite3) -> i64;
    pub fn sqlite3_last_insert_rowid(db: *mut sqlite3) -> i64;
    pub fn sqlite3_get_autocommit(db: *mut sqlite3) -> c_int;
    pub fn sqlite3_interrupt(db: *mut sqlite3);
    pub fn sqlite3_db_readonly(db: *mut sqlite3, name: *const c_char) -> c_int;
    pub fn sqlite3_free(p: *mut c_void);
    pub fn sqlite3_memory_used() -> i64;

    pub fn sqlite3_prepare_v3(
        db: *mut sqlite3,
        sql: *const c_char,
        n_byte: c_int,
        flags: u32,
        stmt: *mut *mut sqlite3_stmt,
        tail: *mut *const c_char,
    ) -> c_int;
    pub fn sqlite3_finalize(stmt: *mut sqlite3_stmt) -> c_int;
    pub fn sqlite3_reset(stmt: *mut sqlite3_stmt) -> c_int;
    pub fn sqlite3_clear_bindings(stmt: *mut sqlite3_stmt) -> c_int;
    pub fn sqlite3_step(stmt: *mut sqlite3_stmt) -> c_int;
    pub fn sqlite3_stmt_readonly(stmt: *mut sqlite3_stmt) -> c_int;
    pub fn sqlite3_bind_parameter_count(stmt: *mut sqlite3_stmt) -> c_int;
    pub fn sqlite3_bind_parameter_name(stmt: *mut sqlite3_stmt, i: c_int) -> *const c_char;
    pub fn sqlite3_bind_null(stmt: *mut sqlite3_stmt, i: c_int) -> c_int;
    pub fn sqlite3_bind_int64(stmt: *mut sqlite3_stmt, i: c_int, v: i64) -> c_int;
    pub fn sqlite3_bind_double(stmt: *mut sqlite3_stmt, i: c_int, v: f64) -> c_int;
    pub fn sqlite3_bind_text(
        stmt: *mut sqlite3_stmt,
        i: c_int,
        v: *const c_char,
        n: c_int,
        d: sqlite3_destructor_type,
    ) -> c_int;
    pub fn sqlite3_bind_blob(
        stmt: *mut sqlite3_stmt,
        i: c_int,
        v: *const c_void,
        n: c_int,
        d: sqlite3_destructor_type,
    ) -> c_int;
    pub fn sqlite3_column_count(stmt: *mut sqlite3_stmt) -> c_int;
    pub fn sqlite3_column_name(stmt: *mut sqlite3_stmt, i: c_int) -> *const c_char;
    pub fn sqlite3_column_table_name(stmt: *mut sqlite3_stmt, i: c_int) -> *const c_char;
    pub fn sqlite3_column_origin_name(stmt: *mut sqlite3_stmt, i: c_int) -> *const c_char;
    pub fn sqlite3_column_database_name(stmt: *mut sqlite3_stmt, i: c_int) -> *const c_char;
    pub fn sqlite3_column_decltype(stmt: *mut sqlite3_stmt, i: c_int) -> *const c_char;
    pub fn sqlite3_column_type(stmt: *mut sqlite3_stmt, i: c_int) -> c_int;
    pub fn sqlite3_column_int64(stmt: *mut sqlite3_stmt, i: c_int) -> i64;
    pub fn sqlite3_column_double(stmt: *mut sqlite3_stmt, i: c_int) -> f64;
    pub fn sqlite3_column_text(stmt: *mut sqlite3_stmt, i: c_int) -> *const c_uchar;
    pub fn sqlite3_column_blob(stmt: *mut sqlite3_stmt, i: c_int) -> *const c_void;
    pub fn sqlite3_column_bytes(stmt: *mut sqlite3_stmt, i: c_int) -> c_int;

    pub fn sqlite3_create_function_v2(
        db: *mut sqlite3,
        name: *const c_char,
        n_arg: c_int,
        text_rep: c_int,
        app: *mut c_void,
        func: Option<ScalarFn>,
        step: Option<ScalarFn>,
        final_: Option<unsafe extern "C" fn(*mut sqlite3_context)>,
        destroy: Option<DestroyFn>,
    ) -> c_int;
    pub fn sqlite3_user_data(ctx: *mut sqlite3_context) -> *mut c_void;
    pub fn sqlite3_value_type(v: *mut sqlite3_value) -> c_int;
    pub fn sqlite3_value_int64(v: *mut sqlite3_value) -> i64;
    pub fn sqlite3_value_double(v: *mut sqlite3_value) -> f64;
    pub fn sqlite3_value_text(v: *mut sqlite3_value) -> *const c_uchar;
    pub fn sqlite3_value_blob(v: *mut sqlite3_value) -> *const c_void;
    pub fn sqlite3_value_bytes(v: *mut sqlite3_value) -> c_int;
    pub fn sqlite3_result_null(ctx: *mut sqlite3_context);
    pub fn sqlite3_result_int64(ctx: *mut sqlite3_context, v: i64);
    pub fn sqlite3_result_double(ctx: *mut sqlite3_context, v: f64);
    pub fn sqlite3_result_text(
        ctx: *mut sqlite3_context,
        v: *const c_char,
        n: c_int,
        d: sqlite3_destructor_type,
    );
    pub fn sqlite3_result_blob(
        ctx: *mut sqlite3_context,
        v: *const c_void,
        n: c_int,
        d: sqlite3_destructor_type,
    );
    pub fn sqlite3_result_error(ctx: *mut sqlite3_context, msg: *const c_char, n: c_int);

    pub fn sqlite3_backup_init(
        dest: *mut sqlite3,
        dest_name: *const c_char,
        source: *mut sqlite3,
        source_name: *const c_char,
    ) -> *mut sqlite3_backup;
    pub fn sqlite3_backup_step(b: *mut sqlite3_backup, pages: c_int) -> c_int;
    pub fn sqlite3_backup_finish(b: *mut sqlite3_backup) -> c_int;
    pub fn sqlite3_backup_remaining(b: *mut sqlite3_backup) -> c_int;
    pub fn sqlite3_backup_pagecount(b: *mut sqlite3_backup) -> c_int;

    pub fn sqlite3_serialize(
        db: *mut sqlite3,
        schema: *const c_char,
        size: *mut i64,
        flags: u32,
    ) -> *mut c_uchar;
}

pub const ZSC_ABI_VERSION: u32 = 1;

/// `struct zsqlcipher_api`; the entries are only handed to SQLCipher, never called here.
#[repr(C)]
pub struct ZsqlcipherApi {
    pub abi_version: u32,
    pub level: *const c_char,
    pub entries: [Option<unsafe extern "C" fn()>; 15],
}

unsafe extern "C" {
    /// Read by `ghostkit_sqlcipher_setup` (sqlcipher_unit.c) when SQLite initialises.
    pub static mut ghostkit_sqlcipher_table: *const ZsqlcipherApi;
}

unsafe extern "C" {
    #[cfg(zsqlcipher_level_baseline)]
    pub fn zsqlcipher_api_baseline() -> *const ZsqlcipherApi;
    #[cfg(zsqlcipher_level_x86_64_v3)]
    pub fn zsqlcipher_api_x86_64_v3() -> *const ZsqlcipherApi;
    #[cfg(zsqlcipher_level_x86_64_v4)]
    pub fn zsqlcipher_api_x86_64_v4() -> *const ZsqlcipherApi;
}
