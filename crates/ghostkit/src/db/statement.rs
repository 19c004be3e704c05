use std::ffi::{CStr, c_int};
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::connection::{Handle, c_str_opt};
use super::value::ValueRef;
use super::{Error, ffi};

/// The statement pointer, shared with the connection so that closing the connection
/// finalizes it (later calls then fail with [`Error::Closed`]).
pub(crate) struct StmtSlot(AtomicPtr<ffi::sqlite3_stmt>);

impl StmtSlot {
    pub(crate) fn new(stmt: *mut ffi::sqlite3_stmt) -> StmtSlot {
        StmtSlot(AtomicPtr::new(stmt))
    }

    pub(crate) fn finalize(&self) {
        let stmt = self.0.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if !stmt.is_null() {
            // SAFETY: the pointer was live and is now unreachable.
            unsafe { ffi::sqlite3_finalize(stmt) };
        }
    }
}

impl Drop for StmtSlot {
    fn drop(&mut self) {
        self.finalize();
    }
}

// SAFETY: serialized SQLite (see Handle).
unsafe impl Send for StmtSlot {}
unsafe impl Sync for StmtSlot {}

/// Metadata of one result column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// The column's name in the result (`AS` alias or expression text).
    pub name: String,
    /// The table column it comes from, if any.
    pub origin: Option<String>,
    /// The table it comes from, if any.
    pub table: Option<String>,
    /// The database (`main`, `temp`, an attached name), if any.
    pub database: Option<String>,
    /// The declared type, if any.
    pub decltype: Option<String>,
}

/// A compiled statement. Bind, then [`Statement::step`] through the rows.
pub struct Statement {
    slot: Arc<StmtSlot>,
    handle: Arc<Handle>,
}

impl Statement {
    pub(crate) fn new(slot: Arc<StmtSlot>, handle: Arc<Handle>) -> Statement {
        Statement { slot, handle }
    }

    #[inline]
    fn raw(&self) -> Result<*mut ffi::sqlite3_stmt, Error> {
        let stmt = self.slot.0.load(Ordering::Acquire);
        if stmt.is_null() {
            Err(Error::Closed)
        } else {
            Ok(stmt)
        }
    }

    fn error(&self, rc: c_int) -> Error {
        match self.handle.raw() {
            Ok(db) => Error::from_db(db, rc),
            Err(e) => e,
        }
    }

    /// Number of result columns (0 for a statement that returns no rows).
    pub fn column_count(&self) -> Result<usize, Error> {
        // SAFETY: live statement.
        Ok(unsafe { ffi::sqlite3_column_count(self.raw()?) } as usize)
    }

    /// The names of the result columns.
    pub fn column_names(&self) -> Result<Vec<String>, Error> {
        let stmt = self.raw()?;
        let n = self.column_count()?;
        // SAFETY: live statement, index in range.
        Ok((0..n)
            .map(|i| {
                c_str_opt(unsafe { ffi::sqlite3_column_name(stmt, i as c_int) }).unwrap_or_default()
            })
            .collect())
    }

    /// Metadata of every result column.
    pub fn columns(&self) -> Result<Vec<ColumnInfo>, Error> {
        let stmt = self.raw()?;
        let n = self.column_count()?;
        // SAFETY: live statement, index in range.
        Ok((0..n as c_int)
            .map(|i| unsafe {
                ColumnInfo {
                    name: c_str_opt(ffi::sqlite3_column_name(stmt, i)).unwrap_or_default(),
                    origin: c_str_opt(ffi::sqlite3_column_origin_name(stmt, i)),
                    table: c_str_opt(ffi::sqlite3_column_table_name(stmt, i)),
                    database: c_str_opt(ffi::sqlite3_column_database_name(stmt, i)),
                    decltype: c_str_opt(ffi::sqlite3_column_decltype(stmt, i)),
                }
            })
            .collect())
    }

    /// True when the statement does not write the database.
    pub fn readonly(&self) -> Result<bool, Error> {
        // SAFETY: live statement.
        Ok(unsafe { ffi::sqlite3_stmt_readonly(self.raw()?) } != 0)
    }

    /// Number of parameters (the largest index).
    pub fn parameter_count(&self) -> Result<usize, Error> {
        // SAFETY: live statement.
        Ok(unsafe { ffi::sqlite3_bind_parameter_count(self.raw()?) } as usize)
    }

    /// The name of parameter `index` (1-based) with its prefix (`@x`, `:x`, `$x`, `?2`),
    /// `None` for an anonymous `?`.
    pub fn parameter_name(&self, index: usize) -> Result<Option<String>, Error> {
        let stmt = self.raw()?;
        // SAFETY: live statement.
        let p = unsafe { ffi::sqlite3_bind_parameter_name(stmt, index as c_int) };
        if p.is_null() {
            return Ok(None);
        }
        // SAFETY: NUL-terminated, owned by the statement.
        Ok(Some(
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned(),
        ))
    }

    /// Binds `value` to parameter `index` (1-based). Text and blobs are copied.
    pub fn bind(&mut self, index: usize, value: ValueRef<'_>) -> Result<(), Error> {
        let stmt = self.raw()?;
        let i = index as c_int;
        let too_big = || Error::InvalidArgument("a bound value is larger than 2 GiB".into());
        // SAFETY: live statement; TRANSIENT makes SQLite copy the bytes.
        let rc = unsafe {
            match value {
                ValueRef::Null => ffi::sqlite3_bind_null(stmt, i),
                ValueRef::Integer(v) => ffi::sqlite3_bind_int64(stmt, i, v),
                ValueRef::Real(v) => ffi::sqlite3_bind_double(stmt, i, v),
                ValueRef::Text(t) => {
                    let n = c_int::try_from(t.len()).map_err(|_| too_big())?;
                    ffi::sqlite3_bind_text(stmt, i, t.as_ptr().cast(), n, ffi::transient())
                }
                ValueRef::Blob(b) => {
                    let n = c_int::try_from(b.len()).map_err(|_| too_big())?;
                    ffi::sqlite3_bind_blob(stmt, i, b.as_ptr().cast(), n, ffi::transient())
                }
            }
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else if rc == ffi::SQLITE_RANGE {
            Err(Error::InvalidArgument(format!(
                "parameter index {index} is out of range"
            )))
        } else {
            Err(self.error(rc))
        }
    }

    /// Clears every binding to NULL.
    pub fn clear_bindings(&mut self) -> Result<(), Error> {
        // SAFETY: live statement.
        unsafe { ffi::sqlite3_clear_bindings(self.raw()?) };
        Ok(())
    }

    /// Advances to the next row: `Ok(true)` with a row, `Ok(false)` when done. After an
    /// error or the last row, the statement is reset.
    #[inline]
    pub fn step(&mut self) -> Result<bool, Error> {
        let stmt = self.raw()?;
        // SAFETY: live statement.
        match unsafe { ffi::sqlite3_step(stmt) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => {
                // SAFETY: as above.
                unsafe { ffi::sqlite3_reset(stmt) };
                Ok(false)
            }
            rc => {
                let error = self.error(rc);
                // SAFETY: as above.
                unsafe { ffi::sqlite3_reset(stmt) };
                Err(error)
            }
        }
    }

    /// Resets to before the first row (bindings stay).
    pub fn reset(&mut self) -> Result<(), Error> {
        // SAFETY: live statement.
        unsafe { ffi::sqlite3_reset(self.raw()?) };
        Ok(())
    }

    /// The value of column `index` of the current row; valid until the next step/reset.
    #[inline]
    pub fn column(&self, index: usize) -> Result<ValueRef<'_>, Error> {
        let stmt = self.raw()?;
        let i = index as c_int;
        // SAFETY: live statement positioned on a row; SQLite keeps the bytes until the
        // next step/reset, which need `&mut self`.
        unsafe {
            Ok(match ffi::sqlite3_column_type(stmt, i) {
                ffi::SQLITE_INTEGER => ValueRef::Integer(ffi::sqlite3_column_int64(stmt, i)),
                ffi::SQLITE_FLOAT => ValueRef::Real(ffi::sqlite3_column_double(stmt, i)),
                ffi::SQLITE_TEXT => {
                    let p = ffi::sqlite3_column_text(stmt, i);
                    let n = ffi::sqlite3_column_bytes(stmt, i) as usize;
                    ValueRef::Text(if p.is_null() {
                        &[]
                    } else {
                        std::slice::from_raw_parts(p, n)
                    })
                }
                ffi::SQLITE_BLOB => {
                    let p = ffi::sqlite3_column_blob(stmt, i) as *const u8;
                    let n = ffi::sqlite3_column_bytes(stmt, i) as usize;
                    ValueRef::Blob(if p.is_null() || n == 0 {
                        &[]
                    } else {
                        std::slice::from_raw_parts(p, n)
                    })
                }
                _ => ValueRef::Null,
            })
        }
    }

    /// Rows changed by the last write on this statement's connection.
    pub fn changes(&self) -> Result<i64, Error> {
        // SAFETY: valid handle.
        Ok(unsafe { ffi::sqlite3_changes64(self.handle.raw()?) })
    }

    /// Rowid of the last insert on this statement's connection.
    pub fn last_insert_rowid(&self) -> Result<i64, Error> {
        // SAFETY: valid handle.
        Ok(unsafe { ffi::sqlite3_last_insert_rowid(self.handle.raw()?) })
    }
}
