//! Table definitions, written by hand in the types both backends share.

diesel::table! {
    revisions (topic) {
        topic -> Text,
        revision -> BigInt,
        updated_at -> Timestamp,
    }
}
