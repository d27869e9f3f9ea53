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

diesel::table! {
    accounts (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        role -> Text,
        home_cell -> Nullable<Text>,
        scopes -> Text,
        password_hash -> Nullable<Text>,
        client_secret_hash -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        account_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_failures (subject) {
        subject -> Text,
        failures -> Integer,
        window_start -> Timestamp,
    }
}

diesel::joinable!(refresh_tokens -> accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(accounts, grid_cells, refresh_tokens);

diesel::table! {
    events (seq) {
        seq -> BigInt,
        tx_id -> BigInt,
        id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        subject -> Text,
        cell_path -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        actor_name -> Nullable<Text>,
        data -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (account_id, key) {
        account_id -> Text,
        key -> Text,
        fingerprint -> Text,
        status -> Nullable<Integer>,
        headers -> Nullable<Text>,
        body -> Nullable<Binary>,
        locked_until -> Timestamp,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    service_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}
