//! An encrypted database created, closed and reopened; wrong keys and plain files refused.

use ghostkit::db::{Connection, Error, Key, OpenOptions, ValueRef};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zqlite-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn count(db: &Connection) -> i64 {
    let mut stmt = db.prepare("SELECT count(*) FROM t").unwrap();
    assert!(stmt.step().unwrap());
    match stmt.column(0).unwrap() {
        ValueRef::Integer(n) => n,
        other => panic!("count: {other:?}"),
    }
}

#[test]
fn passphrase_database_survives_reopen_and_rejects_wrong_key() {
    let dir = temp_dir("pass");
    let path = dir.join("a.db");
    let options = OpenOptions::default();
    let db = Connection::open(
        &path,
        Some(Key::Passphrase(b"correct horse".to_vec())),
        &options,
    )
    .unwrap();
    db.execute_batch("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('secret row');")
        .unwrap();
    db.close().unwrap();

    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.windows(10).any(|w| w == b"secret row"),
        "plaintext on disk"
    );
    assert_ne!(&bytes[..16], b"SQLite format 3\0");

    let db = Connection::open(
        &path,
        Some(Key::Passphrase(b"correct horse".to_vec())),
        &options,
    )
    .unwrap();
    assert_eq!(count(&db), 1);
    db.close().unwrap();

    let wrong = Connection::open(&path, Some(Key::Passphrase(b"wrong".to_vec())), &options);
    assert!(matches!(wrong, Err(Error::BadKey)));
    let none = Connection::open(&path, None, &options);
    assert!(
        matches!(none, Err(Error::Sqlite { code: 26, .. })),
        "{:?}",
        none.err()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn raw_key_and_rekey() {
    let dir = temp_dir("raw");
    let path = dir.join("b.db");
    let options = OpenOptions::default();
    let db = Connection::open(&path, Some(Key::Raw([1; 32])), &options).unwrap();
    db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);")
        .unwrap();
    db.rekey(Key::Raw([2; 32])).unwrap();
    db.close().unwrap();
    assert!(matches!(
        Connection::open(&path, Some(Key::Raw([1; 32])), &options),
        Err(Error::BadKey)
    ));
    let db = Connection::open(&path, Some(Key::Raw([2; 32])), &options).unwrap();
    assert_eq!(count(&db), 2);
    db.close().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn plain_file_with_a_key_is_not_encrypted() {
    let dir = temp_dir("plain");
    let path = dir.join("c.db");
    let options = OpenOptions::default();
    let db = Connection::open(&path, None, &options).unwrap();
    db.execute_batch("CREATE TABLE t(x)").unwrap();
    db.close().unwrap();
    assert!(matches!(
        Connection::open(&path, Some(Key::Raw([1; 32])), &options),
        Err(Error::NotEncrypted)
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
