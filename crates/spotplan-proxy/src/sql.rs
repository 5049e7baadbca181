//! One way to write a statement for both databases: the books that keep instances, releases, fleets and prices
//! write their SQL once — `?1`-style placeholders, `ON CONFLICT` clauses, integers and text only — and run it on
//! the embedded SQLite log or, in team mode, on the shared PostgreSQL database (where `?N` becomes `$N`). Values
//! cross as [`SqlValue`]s (a typed null, since PostgreSQL types its parameters) and come back as [`SqlRow`]s.
//!
//! Writes run in a transaction as one synchronous body ([`Tx`]): on SQLite in the writer thread's group commit,
//! on PostgreSQL on a blocking thread that drives the async driver, so a book's logic is written once.

use crate::stored::StoreError;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    /// An integer column (`None`: NULL).
    Int(Option<i64>),
    /// A text column (`None`: NULL).
    Text(Option<String>),
}

impl From<i64> for SqlValue {
    fn from(value: i64) -> SqlValue {
        SqlValue::Int(Some(value))
    }
}

impl From<Option<i64>> for SqlValue {
    fn from(value: Option<i64>) -> SqlValue {
        SqlValue::Int(value)
    }
}

impl From<bool> for SqlValue {
    fn from(value: bool) -> SqlValue {
        SqlValue::Int(Some(i64::from(value)))
    }
}

impl From<&str> for SqlValue {
    fn from(value: &str) -> SqlValue {
        SqlValue::Text(Some(value.to_owned()))
    }
}

impl From<String> for SqlValue {
    fn from(value: String) -> SqlValue {
        SqlValue::Text(Some(value))
    }
}

impl From<&String> for SqlValue {
    fn from(value: &String) -> SqlValue {
        SqlValue::Text(Some(value.clone()))
    }
}

impl From<Option<String>> for SqlValue {
    fn from(value: Option<String>) -> SqlValue {
        SqlValue::Text(value)
    }
}

impl From<&Option<String>> for SqlValue {
    fn from(value: &Option<String>) -> SqlValue {
        SqlValue::Text(value.clone())
    }
}

/// A row read back: its columns in the statement's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlRow(pub Vec<SqlValue>);

impl SqlRow {
    /// An integer column (NULL or text: `None`).
    pub fn int(&self, index: usize) -> Option<i64> {
        match self.0.get(index) {
            Some(SqlValue::Int(value)) => *value,
            _ => None,
        }
    }

    /// A text column (NULL or integer: `None`).
    pub fn text(&self, index: usize) -> Option<String> {
        match self.0.get(index) {
            Some(SqlValue::Text(value)) => value.clone(),
            _ => None,
        }
    }

    /// A text column that must be there.
    pub fn required_text(&self, index: usize, column: &'static str) -> Result<String, StoreError> {
        self.text(index).ok_or(StoreError::Corrupt { column })
    }

    /// An integer column that must be there.
    pub fn required_int(&self, index: usize, column: &'static str) -> Result<i64, StoreError> {
        self.int(index).ok_or(StoreError::Corrupt { column })
    }
}

/// A transaction a book's write runs in.
pub trait Tx {
    /// Runs a query and returns its rows.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<SqlRow>, StoreError>;
    /// Runs a statement and returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError>;
}

/// The `VALUES` rows of a multi-row insert: `rows` groups of `columns` numbered placeholders,
/// `(?1, ?2), (?3, ?4)` — one statement, and one round trip on the shared database, for many rows.
pub fn values_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let numbers: Vec<String> = (1..=columns)
                .map(|column| format!("?{}", row * columns + column))
                .collect();
            format!("({})", numbers.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement as PostgreSQL takes it: `?N` placeholders become `$N`.
pub fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// SQLite's side.
pub mod sqlite {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    use rusqlite::{Connection, ToSql};

    use super::{SqlRow, SqlValue, Tx};
    use crate::stored::StoreError;

    impl ToSql for SqlValue {
        fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
            match self {
                SqlValue::Int(value) => value.to_sql(),
                SqlValue::Text(value) => value.to_sql(),
            }
        }
    }

    fn read(row: &rusqlite::Row<'_>, columns: usize) -> rusqlite::Result<SqlRow> {
        (0..columns)
            .map(|index| {
                Ok(match row.get_ref(index)? {
                    ValueRef::Integer(value) => SqlValue::Int(Some(value)),
                    ValueRef::Text(text) => SqlValue::Text(Some(String::from_utf8_lossy(text).into_owned())),
                    ValueRef::Null => SqlValue::Text(None),
                    ValueRef::Real(value) => SqlValue::Int(Some(value as i64)),
                    ValueRef::Blob(bytes) => SqlValue::Text(Some(String::from_utf8_lossy(bytes).into_owned())),
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map(SqlRow)
    }

    /// Runs a query on a connection.
    pub fn query(connection: &Connection, sql: &str, params: &[SqlValue]) -> Result<Vec<SqlRow>, StoreError> {
        let mut statement = connection.prepare_cached(sql)?;
        let columns = statement.column_count();
        let rows = statement.query_map(rusqlite::params_from_iter(params.iter()), |row| read(row, columns))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A transaction on the writer connection.
    #[derive(Debug)]
    pub struct SqliteTx<'c>(pub &'c Connection);

    impl Tx for SqliteTx<'_> {
        fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<SqlRow>, StoreError> {
            query(self.0, sql, params)
        }

        fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
            let changed = self
                .0
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(params.iter()))?;
            Ok(changed as u64)
        }
    }
}

/// PostgreSQL's side.
pub mod postgres {
    use tokio_postgres::types::{ToSql, Type};

    use super::{SqlRow, SqlValue, Tx, postgres_sql};
    use crate::stored::StoreError;

    fn error(error: tokio_postgres::Error) -> StoreError {
        describe(&error)
    }

    /// The driver's error with the server's own message (its `Display` says only "db error").
    pub fn describe(error: &tokio_postgres::Error) -> StoreError {
        match error.as_db_error() {
            Some(db) => StoreError::Shared(format!("{}: {}", db.code().code(), db.message())),
            None => StoreError::Shared(error.to_string()),
        }
    }

    /// The parameters as the driver takes them.
    pub fn bind(params: &[SqlValue]) -> Vec<Box<dyn ToSql + Sync + Send>> {
        params
            .iter()
            .map(|value| -> Box<dyn ToSql + Sync + Send> {
                match value {
                    SqlValue::Int(value) => Box::new(*value),
                    SqlValue::Text(value) => Box::new(value.clone()),
                }
            })
            .collect()
    }

    /// A row read back, by its columns' types.
    pub fn read(row: &tokio_postgres::Row) -> Result<SqlRow, StoreError> {
        row.columns()
            .iter()
            .enumerate()
            .map(|(index, column)| {
                Ok(match *column.type_() {
                    Type::INT8 => SqlValue::Int(row.try_get::<_, Option<i64>>(index).map_err(error)?),
                    Type::INT4 => SqlValue::Int(row.try_get::<_, Option<i32>>(index).map_err(error)?.map(i64::from)),
                    Type::INT2 => SqlValue::Int(row.try_get::<_, Option<i16>>(index).map_err(error)?.map(i64::from)),
                    Type::BOOL => SqlValue::Int(row.try_get::<_, Option<bool>>(index).map_err(error)?.map(i64::from)),
                    _ => SqlValue::Text(row.try_get::<_, Option<String>>(index).map_err(error)?),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(SqlRow)
    }

    /// The bound parameters as the driver's calls take them.
    pub fn refs(bound: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
        bound.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)).collect()
    }

    /// A transaction driven from a blocking thread.
    pub struct PostgresTx<'t, 'c> {
        /// The runtime the driver's futures run on.
        pub runtime: tokio::runtime::Handle,
        /// The transaction, on a pooled connection (whose prepared statements it reuses).
        pub transaction: &'t deadpool_postgres::Transaction<'c>,
    }

    impl std::fmt::Debug for PostgresTx<'_, '_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("PostgresTx").finish_non_exhaustive()
        }
    }

    impl PostgresTx<'_, '_> {
        /// `sql` prepared once per pooled connection (each later use is one round trip), run by `run`.
        fn prepared<T>(
            &self,
            sql: &str,
            run: impl AsyncFnOnce(tokio_postgres::Statement) -> Result<T, tokio_postgres::Error>,
        ) -> Result<T, StoreError> {
            self.runtime.block_on(async {
                let statement = self
                    .transaction
                    .prepare_cached(&postgres_sql(sql))
                    .await
                    .map_err(error)?;
                run(statement).await.map_err(error)
            })
        }
    }

    impl Tx for PostgresTx<'_, '_> {
        fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<SqlRow>, StoreError> {
            let bound = bind(params);
            let transaction = self.transaction;
            let rows = self.prepared(sql, async |statement| {
                transaction.query(&statement, &refs(&bound)).await
            })?;
            rows.iter().map(read).collect()
        }

        fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
            let bound = bind(params);
            let transaction = self.transaction;
            self.prepared(sql, async |statement| {
                transaction.execute(&statement, &refs(&bound)).await
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_rows_number_every_placeholder_once() {
        assert_eq!(values_rows(2, 3), "(?1, ?2, ?3), (?4, ?5, ?6)");
        assert_eq!(values_rows(0, 3), "");
    }

    #[test]
    fn placeholders_become_postgres_ones_and_nothing_else_changes() {
        assert_eq!(
            postgres_sql("SELECT a FROM t WHERE b = ?1 AND c = ?12 AND d = '?' ORDER BY ?2"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 AND d = '?' ORDER BY $2"
        );
    }
}
