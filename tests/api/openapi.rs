//! The committed OpenAPI document is the contract: it must be exactly what the code generates.

#[test]
fn committed_document_matches_the_code() {
    let generated = airgrid::openapi::document().to_pretty_json().unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_is_documented() {
    let doc = serde_json::to_value(airgrid::openapi::document()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{name} has no summary");
            assert!(
                operation_ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "{name}: duplicate operationId"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s.starts_with('3')),
                "{name} has no success response"
            );
            assert!(responses.contains_key("500"), "{name} does not document errors");
            for param in op["parameters"].as_array().into_iter().flatten() {
                assert!(param["description"].is_string(), "{name}: parameter {} has no description", param["name"]);
            }
        }
    }
}
