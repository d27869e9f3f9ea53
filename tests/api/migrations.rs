use airgrid::db::AnyConnection;
use diesel::RunQueryDsl;

use crate::helpers::TestDb;

fn table_exists(conn: &mut AnyConnection, table: &str) -> bool {
    diesel::sql_query(format!("SELECT 1 FROM {table} LIMIT 1")).execute(conn).is_ok()
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let (_db, url) = TestDb::fresh();
    let mut conn = AnyConnection::open(&url).unwrap();
    let applied = conn.migrate().unwrap();
    assert!(!applied.is_empty());
    assert!(!conn.migrations_pending().unwrap());
    assert!(table_exists(&mut conn, "revisions"));

    let reverted = conn.revert_all().unwrap();
    assert_eq!(reverted.len(), applied.len());
    assert!(conn.migrations_pending().unwrap());
    assert!(!table_exists(&mut conn, "revisions"));

    assert_eq!(conn.migrate().unwrap(), applied);
    assert!(table_exists(&mut conn, "revisions"));
}
