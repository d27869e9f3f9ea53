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

diesel::table! {
    incident_categories (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        name_zh -> Text,
        name_en -> Text,
        deadlines -> Text,
        duplicate_radius_m -> Double,
        duplicate_window_hours -> Integer,
        requires_after_photo -> Bool,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    incidents (id) {
        id -> Text,
        category_code -> Text,
        status -> Text,
        severity -> Text,
        source -> Text,
        external_system -> Nullable<Text>,
        external_ref -> Nullable<Text>,
        description -> Text,
        address -> Nullable<Text>,
        lon -> Double,
        lat -> Double,
        accuracy_m -> Nullable<Double>,
        cell_code -> Nullable<Text>,
        cell_path -> Nullable<Text>,
        routing -> Text,
        reporter_id -> Nullable<Text>,
        reporter_name -> Text,
        assignee_id -> Nullable<Text>,
        assignee_name -> Nullable<Text>,
        rectifier_id -> Nullable<Text>,
        duplicate_of -> Nullable<Text>,
        occurred_at -> Timestamp,
        reported_at -> Timestamp,
        status_changed_at -> Timestamp,
        assigned_at -> Nullable<Timestamp>,
        deadline_at -> Nullable<Timestamp>,
        deadline_note -> Nullable<Text>,
        extension -> Nullable<Text>,
        rectified_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    incident_timeline (id) {
        id -> Text,
        incident_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<Text>,
        actor_name -> Text,
        note -> Nullable<Text>,
        data -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    incident_photos (id) {
        id -> Text,
        incident_id -> Text,
        stage -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        taken_at -> Nullable<Timestamp>,
        lon -> Nullable<Double>,
        lat -> Nullable<Double>,
        flags -> Text,
        uploaded_by -> Nullable<Text>,
        uploader_name -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    supervision_sheets (id) {
        id -> Text,
        kind -> Text,
        cell_code -> Text,
        cell_path -> Text,
        incident_ids -> Text,
        content -> Text,
        deadline_at -> Timestamp,
        issued_by -> Nullable<Text>,
        issuer_name -> Text,
        issued_at -> Timestamp,
        response -> Nullable<Text>,
        responded_by -> Nullable<Text>,
        responder_name -> Nullable<Text>,
        responded_at -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    fire_events (id) {
        id -> Text,
        incident_id -> Nullable<Text>,
        cell_code -> Text,
        cell_path -> Text,
        lon -> Double,
        lat -> Double,
        first_at -> Timestamp,
        last_at -> Timestamp,
        detections -> Integer,
        verify_by -> Timestamp,
        finding -> Nullable<Text>,
        finding_note -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fire_detections (id) {
        id -> Text,
        identity -> Text,
        source -> Text,
        satellite -> Text,
        instrument -> Nullable<Text>,
        acquired_at -> Timestamp,
        lon -> Double,
        lat -> Double,
        brightness -> Nullable<Double>,
        brightness_2 -> Nullable<Double>,
        frp -> Nullable<Double>,
        confidence -> Nullable<Text>,
        daynight -> Nullable<Text>,
        version -> Nullable<Text>,
        fire_type -> Nullable<Integer>,
        cell_code -> Text,
        cell_path -> Text,
        screened -> Nullable<Text>,
        event_id -> Nullable<Text>,
        imported_at -> Timestamp,
        heat_source_id -> Nullable<Text>,
    }
}

diesel::table! {
    heat_sources (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        lon -> Double,
        lat -> Double,
        boundary -> Nullable<Text>,
        radius_m -> Double,
        note -> Nullable<Text>,
        cell_code -> Text,
        cell_path -> Text,
        fire_event_id -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(fire_events, fire_detections, heat_sources);

diesel::table! {
    vehicle_inspections (id) {
        id -> Text,
        source -> Text,
        record_id -> Text,
        station -> Nullable<Text>,
        inspected_at -> Timestamp,
        plate -> Text,
        plate_colour -> Nullable<Text>,
        vin -> Nullable<Text>,
        vin_check_ok -> Nullable<Bool>,
        vehicle_category -> Nullable<Text>,
        fuel_type -> Nullable<Text>,
        stage -> Nullable<Text>,
        method -> Text,
        limit_class -> Text,
        lon -> Nullable<Double>,
        lat -> Nullable<Double>,
        cell_code -> Nullable<Text>,
        cell_path -> Nullable<Text>,
        measurements -> Text,
        items -> Text,
        submitted_result -> Nullable<Text>,
        result -> Text,
        disagrees -> Bool,
        fingerprint -> Text,
        version -> Integer,
        imported_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    vehicle_inspection_versions (inspection_id, version) {
        inspection_id -> Text,
        version -> Integer,
        record -> Text,
        replaced_at -> Timestamp,
        replaced_by -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(vehicle_inspections, vehicle_inspection_versions);

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        status -> Text,
        params -> Text,
        object_key -> Text,
        created_by -> Text,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        attempts -> Integer,
        rows_total -> Nullable<BigInt>,
        checkpoint -> BigInt,
        summary -> Text,
        errors -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    vehicle_enforcement_actions (id) {
        id -> Text,
        plate -> Text,
        action -> Text,
        note -> Nullable<Text>,
        inspection_id -> Nullable<Text>,
        acted_at -> Timestamp,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    nonroad_machines (id) {
        id -> Text,
        registration_code -> Text,
        owner -> Text,
        machine_type -> Text,
        engine_stage -> Text,
        engine_number -> Nullable<Text>,
        site -> Nullable<Text>,
        lon -> Nullable<Double>,
        lat -> Nullable<Double>,
        cell_code -> Text,
        cell_path -> Text,
        registered_on -> Date,
        registered_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    control_measures (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        categories -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    control_activations (id) {
        id -> Text,
        title -> Text,
        reason -> Text,
        level_code -> Text,
        forecast -> Text,
        status -> Text,
        planned_start -> Timestamp,
        planned_end -> Nullable<Timestamp>,
        actual_start -> Nullable<Timestamp>,
        actual_end -> Nullable<Timestamp>,
        scope_path -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    control_cells (activation_id, cell_code) {
        activation_id -> Text,
        cell_code -> Text,
        cell_path -> Text,
        cell_name -> Text,
        responsible_id -> Nullable<Text>,
        responsible_name -> Nullable<Text>,
        responsible_phone -> Nullable<Text>,
        measures -> Text,
        plan_version -> BigInt,
        plan_updated_at -> Timestamp,
    }
}

diesel::table! {
    control_level_changes (activation_id, seq) {
        activation_id -> Text,
        seq -> Integer,
        from_level -> Nullable<Text>,
        to_level -> Text,
        note -> Nullable<Text>,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    control_prompts (id) {
        id -> Text,
        activation_id -> Text,
        seq -> Integer,
        cell_code -> Text,
        cell_path -> Text,
        level_code -> Text,
        items -> Text,
        issued_at -> Timestamp,
        superseded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    control_prompt_acks (prompt_id, account_id) {
        prompt_id -> Text,
        account_id -> Text,
        acknowledged_at -> Timestamp,
    }
}

diesel::table! {
    control_check_ins (id) {
        id -> Text,
        activation_id -> Text,
        cell_code -> Text,
        measure_code -> Text,
        done -> Bool,
        note -> Nullable<Text>,
        photo_key -> Nullable<Text>,
        photo_media_type -> Nullable<Text>,
        photo_sha256 -> Nullable<Text>,
        photo_taken_at -> Nullable<Timestamp>,
        checked_by -> Nullable<Text>,
        checker_name -> Text,
        checked_at -> Timestamp,
    }
}

diesel::table! {
    observed_daily_aqi (day) {
        day -> Date,
        aqi -> Integer,
        primary_pollutant -> Nullable<Text>,
        entered_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(control_activations, control_cells, control_prompts, control_prompt_acks,);

diesel::table! {
    air_stations (code) {
        code -> Text,
        name -> Text,
        kind -> Text,
        lon -> Double,
        lat -> Double,
        cell_code -> Text,
        cell_path -> Text,
        pollutants -> Text,
        assessment -> Bool,
        active_from -> Date,
        active_to -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    air_readings (station_code, hour_start) {
        station_code -> Text,
        hour_start -> Timestamp,
        so2 -> Nullable<BigInt>,
        no2 -> Nullable<BigInt>,
        co -> Nullable<BigInt>,
        o3 -> Nullable<BigInt>,
        pm10 -> Nullable<BigInt>,
        pm2_5 -> Nullable<BigInt>,
        valid -> Bool,
        source -> Text,
        revision -> Integer,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    air_reading_corrections (id) {
        id -> Text,
        station_code -> Text,
        hour_start -> Timestamp,
        previous -> Text,
        replaced_by -> Text,
        replaced_at -> Timestamp,
    }
}

diesel::table! {
    air_station_days (station_code, day) {
        station_code -> Text,
        day -> Date,
        so2_24h -> Nullable<BigInt>,
        no2_24h -> Nullable<BigInt>,
        co_24h -> Nullable<BigInt>,
        pm10_24h -> Nullable<BigInt>,
        pm2_5_24h -> Nullable<BigInt>,
        o3_8h_max -> Nullable<BigInt>,
        o3_1h_max -> Nullable<BigInt>,
        hours -> Integer,
        o3_hours -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(air_stations, air_readings, air_station_days);

diesel::table! {
    air_forecasts (cell_code, day) {
        cell_code -> Text,
        day -> Date,
        aqi -> Integer,
        primary_pollutant -> Nullable<Text>,
        source -> Text,
        issued_at -> Timestamp,
        entered_by -> Text,
    }
}
