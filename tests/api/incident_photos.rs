//! Photo evidence of incidents: upload checked by content, EXIF flags, who may add and fetch photos, and the
//! object store behind them (a local directory, or S3 when `AIRGRID_TEST_S3_URL` names a bucket).

use actix_web::http::Method;
use airgrid::config::Settings;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, TestResponse, spawn_app, spawn_app_with};
use crate::incident_support::{
    INCIDENTS, PHOTO_EXIF, PHOTO_PLAIN, act, desk, event_types, incident, photo_free_category, rectifying, report,
    report_at, upload,
};

/// When and where the fixture `PHOTO_EXIF` was taken.
const EXIF_TAKEN_AT: &str = "2026-12-01T01:30:00Z";
const EXIF_POSITION: (f64, f64) = (123.4, 41.79);

/// An app whose object store is a directory of its own, so a test can see what was stored there.
async fn spawn_with_store(configure: impl FnOnce(&mut Settings)) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = dir.path().to_str().unwrap().to_owned();
    let app = spawn_app_with(move |settings| {
        settings.storage_url = url;
        configure(settings);
    })
    .await;
    (app, dir)
}

/// How many files lie anywhere under `dir`.
fn stored_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| if path.is_dir() { stored_files(&path) } else { 1 })
        .sum()
}

/// POSTs a multipart form of `(name, filename, content)` parts to the incident's photos.
async fn send_form(app: &TestApp, token: &str, id: &str, parts: &[(&str, Option<&str>, &[u8])]) -> TestResponse {
    let boundary = "airgrid-photo-boundary";
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        let disposition = match filename {
            Some(file) => format!("form-data; name=\"{name}\"; filename=\"{file}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = app
        .request_as(token, Method::POST, &format!("{INCIDENTS}/{id}/photos"))
        .insert_header(("Content-Type", format!("multipart/form-data; boundary={boundary}")));
    app.send_body(req, body).await
}

/// Bytes that start like a JPEG (what the content check looks at), `len` long.
fn jpeg_lookalike(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(len, 0);
    bytes
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().expect("a time").parse().expect("an RFC 3339 time")
}

fn flag_kinds(photo: &Value) -> Vec<&str> {
    photo["flags"].as_array().expect("flags").iter().map(|f| f["kind"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn a_photo_is_stored_and_served_to_those_who_see_the_incident() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = id_of(&report(&app, &d.worker, &report_at("open_burning", 2.5, 0.5)).await);

    let res = upload(&app, &d.worker, &id, "before", PHOTO_PLAIN, "scene.png").await;
    res.assert_status(201);
    let photo = res.json();
    let href = photo["href"].as_str().unwrap().to_owned();
    assert_eq!(href, format!("{INCIDENTS}/{id}/photos/{}", photo["id"].as_str().unwrap()));
    assert_eq!(res.header("location"), Some(href.as_str()));
    assert_eq!(photo["stage"], "before");
    assert_eq!(photo["media_type"], "image/png");
    assert_eq!(photo["size_bytes"], PHOTO_PLAIN.len());
    assert_eq!(photo["sha256"], format!("{:x}", Sha256::digest(PHOTO_PLAIN)));
    assert_eq!(photo["flags"], json!([]));
    assert_eq!((photo["taken_at"].clone(), photo["position"].clone()), (Value::Null, Value::Null), "no EXIF");
    assert_eq!(photo["uploaded_by"]["id"], d.worker_id.as_str());

    // The bytes, exactly, for the command centre (in scope).
    let got = app.get_as(&d.commander, &href).await;
    got.assert_status(200);
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(got.body, PHOTO_PLAIN);
    // Not for another district, not under a photo id that does not exist, nor under another incident's path.
    app.get_as(&d.other_supervisor, &href).await.assert_problem(404, "not-found");
    let missing = format!("{INCIDENTS}/{id}/photos/{}", uuid::Uuid::new_v4());
    app.get_as(&d.commander, &missing).await.assert_problem(404, "not-found");
    let other = id_of(&report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await);
    let elsewhere = format!("{INCIDENTS}/{other}/photos/{}", photo["id"].as_str().unwrap());
    app.get_as(&d.commander, &elsewhere).await.assert_problem(404, "not-found");

    // The incident lists it, its timeline and the feed record it.
    let detail = incident(&app, &d.commander, &id).await.json();
    let photos = detail["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1);
    for field in ["id", "stage", "media_type", "size_bytes", "sha256", "flags", "href"] {
        assert_eq!(photos[0][field], photo[field], "{field}");
    }
    let last = detail["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["data"]["photo_id"].clone()), (Some("photo_added"), photo["id"].clone()));
    assert_eq!(event_types(&app, &id).await, ["incident.reported", "incident.photo_added"]);
    let (events, _) = app.read_feed(None, &format!("&subject={id}&types=incident.photo_added")).await;
    assert_eq!(
        events[0]["data"],
        json!({"incident_id": id, "photo_id": photo["id"], "stage": "before", "flagged": false})
    );
}

#[actix_web::test]
async fn uploads_are_checked_by_content_and_size_and_refusals_store_nothing() {
    let (app, store) = spawn_with_store(|s| s.incident_photo_max_bytes = 1024).await;
    let d = desk(&app).await;
    let id = id_of(&report(&app, &d.worker, &report_at("open_burning", 2.5, 0.5)).await);

    // A PDF is not a photo, whatever it is called.
    let pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    let problem =
        upload(&app, &d.worker, &id, "before", pdf, "photo.jpg").await.assert_problem(422, "photo-unsupported");
    assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
    // An empty file, no stage, or a stage that does not exist.
    let problem = upload(&app, &d.worker, &id, "before", b"", "photo.jpg").await.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
    let res = send_form(&app, &d.worker, &id, &[("file", Some("photo.png"), PHOTO_PLAIN)]).await;
    let problem = res.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "stage", "{problem}");
    let problem =
        upload(&app, &d.worker, &id, "during", PHOTO_PLAIN, "photo.png").await.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "stage", "{problem}");
    // Larger than allowed.
    let big = jpeg_lookalike(2048);
    upload(&app, &d.worker, &id, "before", &big, "big.jpg").await.assert_problem(413, "payload-too-large");
    upload(&app, &d.worker, &id, "before", &jpeg_lookalike(1025), "big.jpg")
        .await
        .assert_problem(413, "payload-too-large");

    let detail = incident(&app, &d.worker, &id).await.json();
    assert_eq!(detail["photos"], json!([]), "nothing was recorded");
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 1);
    assert_eq!(detail["version"], 1);
    assert_eq!(stored_files(store.path()), 0, "nothing was stored");
    assert_eq!(event_types(&app, &id).await, ["incident.reported"]);

    // The limit itself is allowed; the file is named by its real type.
    let res = upload(&app, &d.worker, &id, "before", &jpeg_lookalike(1024), "photo.png").await;
    res.assert_status(201);
    assert_eq!(res.json()["media_type"], "image/jpeg");
    assert_eq!(stored_files(store.path()), 1);
}

#[actix_web::test]
async fn exif_time_and_place_raise_flags_but_never_refuse() {
    let app = spawn_app().await;
    crate::grid_support::small_grid(&app).await;
    let admin = app.token.clone().unwrap();
    let taken_at: DateTime<Utc> = EXIF_TAKEN_AT.parse().unwrap();

    // Reported in the small grid, thousands of kilometres from where the photo was taken.
    let far = report(&app, &admin, &report_at("open_burning", 2.5, 0.5)).await;
    assert!(
        time(&far["reported_at"]) - taken_at > chrono::Duration::hours(24),
        "the fixture photo must be older than a day; the clock says {}",
        far["reported_at"]
    );
    let res = upload(&app, &admin, &id_of(&far), "before", PHOTO_EXIF, "IMG_0001.JPG").await;
    res.assert_status(201);
    let photo = res.json();
    assert_eq!(photo["media_type"], "image/jpeg");
    assert_eq!(flag_kinds(&photo), ["far_from_incident", "taken_long_before"], "{photo}");
    let distance = photo["flags"][0]["distance_m"].as_f64().unwrap();
    assert!(distance > 500.0, "{distance}");
    assert_eq!(photo["flags"][0]["limit_m"], 500.0);

    // Reported where the photo was taken (outside the small grid: unrouted, the administrator sees it).
    let here = report(&app, &admin, &report_at("open_burning", EXIF_POSITION.0, EXIF_POSITION.1)).await;
    assert_eq!(here["status"], "unrouted");
    let res = upload(&app, &admin, &id_of(&here), "before", PHOTO_EXIF, "IMG_0001.JPG").await;
    res.assert_status(201);
    let photo = res.json();
    assert_eq!(photo["taken_at"], EXIF_TAKEN_AT, "EXIF time without an offset is Beijing time");
    let position = photo["position"].as_array().unwrap();
    assert!((position[0].as_f64().unwrap() - EXIF_POSITION.0).abs() < 1e-6, "{position:?}");
    assert!((position[1].as_f64().unwrap() - EXIF_POSITION.1).abs() < 1e-6, "{position:?}");
    assert_eq!(flag_kinds(&photo), ["taken_long_before"], "{photo}");
    let expected = (time(&here["reported_at"]) - taken_at).as_seconds_f64() / 3600.0;
    let hours = photo["flags"][0]["hours"].as_f64().unwrap();
    assert!((hours - expected).abs() < 0.01, "{hours} vs {expected}");
    assert_eq!(photo["flags"][0]["limit_hours"], 24.0);

    // The feed says which photos were flagged.
    let (events, _) = app.read_feed(None, "&types=incident.photo_added").await;
    let flagged: Vec<bool> = events.iter().map(|e| e["data"]["flagged"].as_bool().unwrap()).collect();
    assert_eq!(flagged, [true, true]);
}

#[actix_web::test]
async fn the_flag_limits_come_from_the_settings() {
    let app = spawn_app_with(|s| {
        s.incident_photo_max_age_hours = 24.0 * 3650.0;
        s.incident_photo_max_distance_m = 20_000_000.0;
    })
    .await;
    let admin = app.token.clone().unwrap();
    for (lon, lat) in [EXIF_POSITION, (2.5, 0.5)] {
        let id = id_of(&report(&app, &admin, &report_at("open_burning", lon, lat)).await);
        let res = upload(&app, &admin, &id, "before", PHOTO_EXIF, "IMG_0001.JPG").await;
        res.assert_status(201);
        assert_eq!(res.json()["flags"], json!([]), "within both limits at ({lon}, {lat})");
    }
}

#[actix_web::test]
async fn photos_only_for_open_incidents_in_scope_by_those_who_report() {
    let (app, store) = spawn_with_store(|_| {}).await;
    let d = desk(&app).await;
    photo_free_category(&app, "test_free").await;

    // Closed, and rejected: no more evidence.
    let closed = rectifying(&app, &d, "test_free").await;
    act(&app, &d.worker, &closed, json!({"action": "rectify", "note": "已处理"})).await;
    act(&app, &d.verifier, &closed, json!({"action": "close"})).await;
    let rejected = id_of(&report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await);
    act(&app, &d.supervisor, &rejected, json!({"action": "reject", "note": "误报"})).await;
    for id in [&closed, &rejected] {
        upload(&app, &d.worker, id, "after", PHOTO_PLAIN, "late.png").await.assert_problem(409, "conflict");
        upload(&app, &d.commander, id, "other", PHOTO_PLAIN, "late.png").await.assert_problem(409, "conflict");
    }

    // Open, but out of the caller's sight, or the caller may not report.
    let open = id_of(&report(&app, &d.worker, &report_at("dust", 2.5, 0.5)).await);
    for token in [&d.other_supervisor, &d.other_worker] {
        upload(&app, token, &open, "before", PHOTO_PLAIN, "x.png").await.assert_problem(404, "not-found");
    }
    let missing = uuid::Uuid::new_v4().to_string();
    upload(&app, &d.worker, &missing, "before", PHOTO_PLAIN, "x.png").await.assert_problem(404, "not-found");
    upload(&app, &d.viewer, &open, "before", PHOTO_PLAIN, "x.png").await.assert_problem(403, "forbidden");

    for id in [&closed, &rejected, &open] {
        assert_eq!(incident(&app, &d.commander, id).await.json()["photos"], json!([]), "nothing was recorded");
    }
    assert_eq!(stored_files(store.path()), 0, "nothing was stored");
    let (events, _) = app.read_feed(None, "&types=incident.photo_added").await;
    assert_eq!(events, Vec::<Value>::new());

    // The district, in scope but not the reporter, may add evidence.
    upload(&app, &d.supervisor, &open, "other", PHOTO_PLAIN, "x.png").await.assert_status(201);
    assert_eq!(stored_files(store.path()), 1);
}

/// Runs only when `AIRGRID_TEST_S3_URL` names a bucket of an S3-compatible server (with the standard
/// `AWS_*` variables for its endpoint and keys).
#[actix_web::test]
async fn photos_round_trip_through_s3_storage() {
    let Some(url) = std::env::var("AIRGRID_TEST_S3_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("AIRGRID_TEST_S3_URL is not set; skipping photos_round_trip_through_s3_storage");
        return;
    };
    let app = spawn_app_with(|s| s.storage_url = url).await;
    let d = desk(&app).await;
    let id = id_of(&report(&app, &d.worker, &report_at("open_burning", 2.5, 0.5)).await);
    let mut hrefs = Vec::new();
    for (file, name, media_type) in [(PHOTO_EXIF, "a.jpg", "image/jpeg"), (PHOTO_PLAIN, "b.png", "image/png")] {
        let res = upload(&app, &d.worker, &id, "before", file, name).await;
        res.assert_status(201);
        assert_eq!(res.json()["media_type"], media_type);
        hrefs.push((res.json()["href"].as_str().unwrap().to_owned(), file, media_type));
    }
    for (href, file, media_type) in hrefs {
        let got = app.get_as(&d.commander, &href).await;
        got.assert_status(200);
        assert_eq!(got.header("content-type"), Some(media_type));
        assert_eq!(got.body, file, "byte-identical from the bucket");
    }
}
