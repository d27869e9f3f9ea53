//! Table definitions, written by hand in the types both backends share.

diesel::table! {
    revisions (topic) {
        topic -> Text,
        revision -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    grid_cells (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        level -> Integer,
        parent_code -> Nullable<Text>,
        path -> Text,
        boundary -> Text,
        min_lon -> Double,
        min_lat -> Double,
        max_lon -> Double,
        max_lat -> Double,
        properties -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    grid_people (id) {
        id -> Text,
        cell_code -> Text,
        name -> Text,
        phone -> Nullable<Text>,
        account_id -> Nullable<Text>,
        role -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(grid_cells, grid_people);

diesel::define_sql_function! {
    /// `substr(text, start, length)`, 1-based, the same on SQLite and PostgreSQL.
    fn substr(x: diesel::sql_types::Text, start: diesel::sql_types::Integer, length: diesel::sql_types::Integer) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// `lower(text)`: case-insensitive matching that behaves alike on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
