//! Sign-in, refresh-token rotation, sign-out, service accounts, token rejection and throttling.

use actix_web::http::Method;
use airgrid::domain::access::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, spawn_app, spawn_app_with};

const TOKEN: &str = "/api/v1/auth/token";
const TEST_SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123456789";

/// The application with one level-1 cell, `root`, to be the accounts' home.
async fn with_root(app: TestApp) -> TestApp {
    let cell = json!({"code": "root", "name": "City", "level": 1,
                      "boundary": {"type": "Polygon", "coordinates": [[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]]}});
    app.post_json("/api/v1/grid/cells", &cell).await.assert_status(201);
    app
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> crate::helpers::TestResponse {
    let req = app.anonymous(Method::POST, TOKEN);
    app.send_body(req.content_type("application/json"), json!({"username": username, "password": password}).to_string())
        .await
}

async fn post_anonymous(app: &TestApp, path: &str, body: Value) -> crate::helpers::TestResponse {
    app.send_body(app.anonymous(Method::POST, path).content_type("application/json"), body.to_string()).await
}

#[actix_web::test]
async fn a_user_signs_in_and_uses_the_token() {
    let app = with_root(spawn_app().await).await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let res = sign_in(&app, "worker-1", TEST_PASSWORD).await;
    res.assert_status(200);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let tokens = res.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["refresh_token"].as_str().is_some_and(|t| t.len() >= 32));
    let me = app.get_as(tokens["access_token"].as_str().unwrap(), "/api/v1/auth/me").await;
    me.assert_status(200);
    assert_eq!(me.json()["username"], "worker-1");
    assert_eq!(me.json()["role"], "viewer");
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_answer_alike() {
    let app = with_root(spawn_app().await).await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let wrong = sign_in(&app, "worker-1", "Not-the-password-1").await.assert_problem(401, "unauthorized");
    let unknown = sign_in(&app, "nobody-here", TEST_PASSWORD).await.assert_problem(401, "unauthorized");
    assert_eq!(wrong["detail"], unknown["detail"], "no hint whether the account exists");
}

#[actix_web::test]
async fn every_api_route_but_sign_in_needs_a_token() {
    let app = with_root(spawn_app().await).await;
    for (method, path) in [
        (Method::GET, "/api/v1/grid/cells"),
        (Method::GET, "/api/v1/grid/locate?lon=123.4&lat=41.8"),
        (Method::GET, "/api/v1/grid/features"),
        (Method::POST, "/api/v1/grid/import"),
        (Method::GET, "/api/v1/accounts"),
        (Method::GET, "/api/v1/auth/me"),
    ] {
        let res = app.send(app.anonymous(method.clone(), path)).await;
        res.assert_problem(401, "unauthorized");
        assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{method} {path}");
    }
    for open in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs/"] {
        app.send(app.anonymous(Method::GET, open)).await.assert_status(200);
    }
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = with_root(spawn_app().await).await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let first = sign_in(&app, "worker-1", TEST_PASSWORD).await.json()["refresh_token"].as_str().unwrap().to_owned();

    let res = post_anonymous(&app, "/api/v1/auth/refresh", json!({"refresh_token": first})).await;
    res.assert_status(200);
    let second = res.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    app.get_as(res.json()["access_token"].as_str().unwrap(), "/api/v1/auth/me").await.assert_status(200);

    // The first token again: a replay. It fails, and so does every token of its family.
    post_anonymous(&app, "/api/v1/auth/refresh", json!({"refresh_token": first}))
        .await
        .assert_problem(401, "unauthorized");
    post_anonymous(&app, "/api/v1/auth/refresh", json!({"refresh_token": second}))
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn logout_revokes_the_refresh_token() {
    let app = with_root(spawn_app().await).await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let refresh = sign_in(&app, "worker-1", TEST_PASSWORD).await.json()["refresh_token"].as_str().unwrap().to_owned();
    post_anonymous(&app, "/api/v1/auth/logout", json!({"refresh_token": refresh})).await.assert_status(204);
    post_anonymous(&app, "/api/v1/auth/refresh", json!({"refresh_token": refresh}))
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_service_account_signs_in_with_its_client_secret_and_holds_only_its_scopes() {
    let app = with_root(spawn_app().await).await;
    let body = json!({"username": "platform", "display_name": "Command platform", "role": "integration",
                      "home_cell": "root", "scopes": ["grid:read"]});
    let res = app.post_json("/api/v1/accounts", &body).await;
    res.assert_status(201);
    let secret = res.json()["client_secret"].as_str().unwrap().to_owned();
    let id = res.json()["id"].as_str().unwrap().to_owned();
    assert!(app.get(&format!("/api/v1/accounts/{id}")).await.json().get("client_secret").is_none(), "shown once");

    let res = post_anonymous(&app, TOKEN, json!({"client_id": "platform", "client_secret": secret})).await;
    res.assert_status(200);
    assert!(res.json().get("refresh_token").is_none(), "service accounts sign in again instead");
    let token = res.json()["access_token"].as_str().unwrap().to_owned();
    app.get_as(&token, "/api/v1/grid/cells").await.assert_status(200);
    let cell = json!({"code": "x1", "name": "x", "level": 2, "parent_code": "root",
                      "boundary": {"type": "Polygon", "coordinates": [[[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0], [1.0, 1.0]]]}});
    app.post_json_as(&token, "/api/v1/grid/cells", &cell).await.assert_problem(403, "forbidden");

    let res = post_anonymous(&app, TOKEN, json!({"client_id": "platform", "client_secret": "wrong"})).await;
    res.assert_problem(401, "unauthorized");
    // Rotating the secret retires the old one.
    let rotated = app.post_json(&format!("/api/v1/accounts/{id}/secret"), &json!({})).await;
    rotated.assert_status(200);
    post_anonymous(&app, TOKEN, json!({"client_id": "platform", "client_secret": secret}))
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn weak_passwords_are_refused() {
    let app = with_root(spawn_app().await).await;
    let body =
        json!({"username": "weak", "display_name": "w", "role": "viewer", "home_cell": "root", "password": "password"});
    let problem = app.post_json("/api/v1/accounts", &body).await.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "password");
}

#[actix_web::test]
async fn a_deactivated_account_loses_its_tokens() {
    let app = with_root(spawn_app().await).await;
    let (id, token) = app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let refresh = sign_in(&app, "worker-1", TEST_PASSWORD).await.json()["refresh_token"].as_str().unwrap().to_owned();
    app.get_as(&token, "/api/v1/auth/me").await.assert_status(200);

    let etag = app.get(&format!("/api/v1/accounts/{id}")).await.header("etag").unwrap().to_owned();
    let req = app.request(Method::PATCH, &format!("/api/v1/accounts/{id}")).insert_header(("If-Match", etag));
    app.send_body(req.content_type("application/json"), r#"{"active": false}"#).await.assert_status(200);

    app.get_as(&token, "/api/v1/auth/me").await.assert_problem(401, "unauthorized");
    sign_in(&app, "worker-1", TEST_PASSWORD).await.assert_problem(401, "unauthorized");
    post_anonymous(&app, "/api/v1/auth/refresh", json!({"refresh_token": refresh}))
        .await
        .assert_problem(401, "unauthorized");
}

fn claims(account: &str, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"sub": account, "iss": "airgrid", "aud": "airgrid", "exp": now + 600, "nbf": now - 5,
                            "iat": now - 5, "jti": "t"});
    for (k, v) in overrides.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

fn hs256(claims: &Value) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(TEST_SECRET).unwrap()).unwrap()
}

#[actix_web::test]
async fn tokens_are_checked_strictly() {
    let app = with_root(spawn_app().await).await;
    let (id, _) = app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let me = "/api/v1/auth/me";
    let now = chrono::Utc::now().timestamp();

    app.get_as(&hs256(&claims(&id, json!({}))), me).await.assert_status(200);
    let rejected = [
        ("expired", hs256(&claims(&id, json!({"exp": now - 120})))),
        ("not yet valid", hs256(&claims(&id, json!({"nbf": now + 120})))),
        ("wrong issuer", hs256(&claims(&id, json!({"iss": "someone-else"})))),
        ("wrong audience", hs256(&claims(&id, json!({"aud": "another-service"})))),
        ("unknown account", hs256(&claims("no-such-account", json!({})))),
        ("wrong key", {
            let key = EncodingKey::from_secret(b"another-secret-another-secret-0123456789").unwrap();
            encode(&Header::new(Algorithm::HS256), &claims(&id, json!({})), &key).unwrap()
        }),
        ("tampered", {
            let token = hs256(&claims(&id, json!({})));
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            let forged = hs256(&claims(&id, json!({"sub": "someone-else"})));
            parts[1] = forged.split('.').nth(1).unwrap().to_owned();
            parts.join(".")
        }),
        ("alg none", {
            let header = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
            let body = base64_url(&claims(&id, json!({})).to_string());
            format!("{header}.{body}.")
        }),
    ];
    for (why, token) in rejected {
        let res = app.get_as(&token, me).await;
        assert_eq!(res.status.as_u16(), 401, "{why} was accepted");
        res.assert_problem(401, "unauthorized");
    }
}

/// Unpadded base64url, enough to forge a token by hand.
fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn key_file(name: &str) -> String {
    format!("{}/tests/api/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[actix_web::test]
async fn key_pairs_need_a_known_kid_and_refuse_algorithm_confusion() {
    let app = with_root(
        spawn_app_with(|s| {
            s.jwt_algorithm = airgrid::config::JwtAlgorithm::RS256;
            s.jwt_private_key_file = Some(key_file("rsa-private.pem").into());
            s.jwt_key_id = Some("k1".into());
            s.jwt_public_keys = Some(format!("k1={}", key_file("rsa-public.pem")));
        })
        .await,
    )
    .await;
    let me = "/api/v1/auth/me";
    app.get(me).await.assert_status(200);
    let (id, _) = app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let private = EncodingKey::from_rsa_pem(&std::fs::read(key_file("rsa-private.pem")).unwrap()).unwrap();
    let with_kid = |kid: Option<&str>| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(Into::into);
        encode(&header, &claims(&id, json!({})), &private).unwrap()
    };
    app.get_as(&with_kid(Some("k1")), me).await.assert_status(200);
    app.get_as(&with_kid(Some("k2")), me).await.assert_problem(401, "unauthorized");
    app.get_as(&with_kid(None), me).await.assert_problem(401, "unauthorized");

    // HS256 signed with the public key as the HMAC secret: the classic confusion attack.
    let public_pem = std::fs::read(key_file("rsa-public.pem")).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let forged = encode(&header, &claims(&id, json!({})), &EncodingKey::from_secret(&public_pem).unwrap()).unwrap();
    app.get_as(&forged, me).await.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn eddsa_tokens_work_end_to_end() {
    let app = with_root(
        spawn_app_with(|s| {
            s.jwt_algorithm = airgrid::config::JwtAlgorithm::EdDSA;
            s.jwt_private_key_file = Some(key_file("ed25519-private.pem").into());
            s.jwt_key_id = Some("ed1".into());
            s.jwt_public_keys = Some(format!("ed1={}", key_file("ed25519-public.pem")));
        })
        .await,
    )
    .await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let res = sign_in(&app, "worker-1", TEST_PASSWORD).await;
    res.assert_status(200);
    let token = res.json()["access_token"].as_str().unwrap().to_owned();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!((header.alg, header.kid.as_deref()), (Algorithm::EdDSA, Some("ed1")));
    app.get_as(&token, "/api/v1/auth/me").await.assert_status(200);
}

#[actix_web::test]
async fn repeated_failures_for_one_account_are_throttled() {
    let app = with_root(spawn_app_with(|s| s.sign_in_max_failures_per_account = 3).await).await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    for _ in 0..3 {
        sign_in(&app, "worker-1", "Wrong-password-1").await.assert_problem(401, "unauthorized");
    }
    // Even the right password waits now.
    let res = sign_in(&app, "worker-1", TEST_PASSWORD).await;
    res.assert_problem(429, "too-many-requests");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Another account is not affected.
    app.account_named("worker-2", Role::Viewer, Some("root")).await;
    sign_in(&app, "worker-2", TEST_PASSWORD).await.assert_status(200);
}

#[actix_web::test]
async fn repeated_failures_from_one_address_are_throttled() {
    let app = with_root(spawn_app_with(|s| s.sign_in_max_failures_per_address = 3).await).await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    for i in 0..3 {
        sign_in(&app, &format!("guess-{i}"), "Wrong-password-1").await.assert_problem(401, "unauthorized");
    }
    sign_in(&app, "worker-1", TEST_PASSWORD).await.assert_problem(429, "too-many-requests");
}

/// Parallel guesses cannot pass the limit: each attempt is counted before its password is checked.
#[actix_web::test]
async fn parallel_guesses_get_exactly_the_allowed_tries() {
    let app = with_root(spawn_app_with(|s| s.sign_in_max_failures_per_account = 5).await).await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let guesses = (0..12).map(|i| {
        let app = &app;
        async move { sign_in(app, "worker-1", &format!("Wrong-password-{i}")).await }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let refused = answers.iter().filter(|r| r.status.as_u16() == 401).count();
    let throttled = answers.iter().filter(|r| r.status.as_u16() == 429).count();
    assert_eq!((refused, throttled), (5, 7));
    // A success takes its own attempt back for the address, and clears the account's count.
    sign_in(&app, "worker-1", TEST_PASSWORD).await.assert_problem(429, "too-many-requests");
}

async fn sign_in_via(app: &TestApp, forwarded_for: &str, username: &str) -> crate::helpers::TestResponse {
    let req = app.anonymous(Method::POST, TOKEN).insert_header(("X-Forwarded-For", forwarded_for));
    let body = json!({"username": username, "password": "Wrong-password-1"}).to_string();
    app.send_body(req.content_type("application/json"), body).await
}

/// Behind a load balancer every client shares the balancer's address: the forwarded client address is
/// throttled instead, but only when the peer is a configured proxy (anyone can send the header).
#[actix_web::test]
async fn behind_a_trusted_proxy_each_client_is_throttled_on_its_own() {
    let proxied = |s: &mut airgrid::config::Settings| {
        s.sign_in_max_failures_per_address = 2;
        s.trusted_proxies = "127.0.0.1, 10.0.0.0/8".into();
    };
    let app = with_root(spawn_app_with(proxied).await).await;
    for i in 0..2 {
        sign_in_via(&app, "203.0.113.7, 10.1.2.3", &format!("guess-{i}")).await.assert_problem(401, "unauthorized");
    }
    sign_in_via(&app, "203.0.113.7", "guess-x").await.assert_problem(429, "too-many-requests");
    // Another client behind the same balancer is not locked out.
    sign_in_via(&app, "198.51.100.9", "guess-y").await.assert_problem(401, "unauthorized");

    // Without trusted proxies the header is ignored: forging it does not escape the limit.
    let app = with_root(spawn_app_with(|s| s.sign_in_max_failures_per_address = 2).await).await;
    for i in 0..2 {
        sign_in_via(&app, &format!("203.0.113.{i}"), &format!("guess-{i}")).await.assert_problem(401, "unauthorized");
    }
    sign_in_via(&app, "203.0.113.99", "guess-z").await.assert_problem(429, "too-many-requests");
}

#[actix_web::test]
async fn the_cli_creates_the_first_administrator() {
    let app = with_root(spawn_app().await).await;
    let url = match &app.database_url {
        airgrid::config::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        airgrid::config::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_airgrid"))
        .args(["user", "add", "--username", "chief", "--password", "First-admin-2026", "--role", "admin"])
        .env("AIRGRID_DATABASE_URL", url)
        .env("AIRGRID_LOG_FILTER", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let res = sign_in(&app, "chief", "First-admin-2026").await;
    res.assert_status(200);
    let me = app.get_as(res.json()["access_token"].as_str().unwrap(), "/api/v1/auth/me").await;
    assert_eq!(me.json()["role"], "admin");
}

#[actix_web::test]
async fn every_documented_secured_operation_refuses_anonymous_callers() {
    let app = spawn_app().await;
    let doc = serde_json::to_value(airgrid::openapi::document()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("security").is_none() {
                continue;
            }
            let concrete: String =
                path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res =
                app.send_body(app.anonymous(method.clone(), &concrete).content_type("application/json"), "{}").await;
            assert_eq!(res.status.as_u16(), 401, "{method} {concrete}: {}", String::from_utf8_lossy(&res.body));
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} secured operations found");
}

#[actix_web::test]
async fn concurrent_writes_that_hash_secrets_all_succeed() {
    let app = with_root(spawn_app().await).await;
    let body =
        json!({"username": "platform", "display_name": "p", "role": "integration", "home_cell": "root", "scopes": []});
    let id = app.post_json("/api/v1/accounts", &body).await.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/accounts/{id}/secret");
    let empty = json!({});
    let bodies: Vec<Value> = (0..4)
        .map(|i| {
            json!({"username": format!("user-{i}"), "display_name": "u", "role": "viewer", "home_cell": "root",
                   "password": "Concurrent-2026"})
        })
        .collect();
    let rotations = (0..4).map(|_| app.post_json(&path, &empty));
    let creations = bodies.iter().map(|body| app.post_json("/api/v1/accounts", body));
    let (rotated, created) = futures_util::future::join(
        futures_util::future::join_all(rotations),
        futures_util::future::join_all(creations),
    )
    .await;
    for res in rotated {
        res.assert_status(200);
    }
    for res in created {
        res.assert_status(201);
    }
}

#[actix_web::test]
async fn the_last_administrator_cannot_lock_everyone_out() {
    let app = with_root(spawn_app().await).await;
    let me = app.get("/api/v1/auth/me").await.json();
    let path = format!("/api/v1/accounts/{}", me["id"].as_str().unwrap());
    for change in [r#"{"active": false}"#, r#"{"role": "viewer", "home_cell": "root"}"#] {
        let req = app.request(Method::PATCH, &path).insert_header(("If-Match", "*")).content_type("application/json");
        app.send_body(req, change).await.assert_problem(409, "conflict");
    }
    // With a second administrator the first may step down.
    app.account(Role::Admin, None).await;
    let req = app.request(Method::PATCH, &path).insert_header(("If-Match", "*")).content_type("application/json");
    app.send_body(req, r#"{"role": "viewer", "home_cell": "root"}"#).await.assert_status(200);
}

#[actix_web::test]
async fn the_demo_seed_gives_a_working_quick_start() {
    let app = spawn_app().await;
    let url = match &app.database_url {
        airgrid::config::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        airgrid::config::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_airgrid"))
        .args(["seed", "demo"])
        .env("AIRGRID_DATABASE_URL", url)
        .env("AIRGRID_LOG_FILTER", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("2292 created") && printed.contains("demo-integration"), "{printed}");

    // The README's quick start: the demo grid worker signs in and locates a point in 和平区.
    let res = sign_in(&app, "demo-worker", "Shenyang-Grid-2026").await;
    res.assert_status(200);
    let token = res.json()["access_token"].as_str().unwrap().to_owned();
    let located = app.get_as(&token, "/api/v1/grid/locate?lon=123.40&lat=41.79").await.json();
    let codes: Vec<&str> = located["cells"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["210100", "210102", "210102022", "210102022022"]);
}

/// Instances on one database that were given no secret share the one the first of them made, so behind
/// a load balancer a token from one works on every other.
#[actix_web::test]
async fn instances_without_a_configured_secret_share_one() {
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first_data = first_dir.path().to_owned();
    let app = with_root(
        spawn_app_with(|s| {
            s.jwt_secret = None;
            s.data_dir = first_data;
        })
        .await,
    )
    .await;
    let second_data = second_dir.path().to_owned();
    let second = crate::helpers::spawn_instance_on(&app, |s| {
        s.jwt_secret = None;
        s.data_dir = second_data;
    })
    .await;
    app.account_named("worker-1", Role::Viewer, Some("root")).await;
    let res = sign_in(&app, "worker-1", TEST_PASSWORD).await;
    res.assert_status(200);
    let token = res.json()["access_token"].as_str().unwrap().to_owned();
    second.get_as(&token, "/api/v1/auth/me").await.assert_status(200);
    let res = sign_in(&second, "worker-1", TEST_PASSWORD).await;
    app.get_as(res.json()["access_token"].as_str().unwrap(), "/api/v1/auth/me").await.assert_status(200);
}
