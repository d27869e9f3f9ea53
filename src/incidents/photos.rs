//! Photo evidence: checked by content, its EXIF read and compared with the incident (flagged, never
//! refused), the bytes put in the object store, the record and its event written in one transaction.

use actix_web::web::Bytes;
use sha2::{Digest, Sha256};

use super::Policy;
use super::service::{self, event_of, record_entry, stored_status};
use super::store::{self, PhotoRow};
use crate::auth::Caller;
use crate::db::{self, Db};
use crate::domain::access::Permission;
use crate::domain::incident::PhotoStage;
use crate::domain::photo;
use crate::error::{ApiError, FieldError};
use crate::events::{self, EventData, IncidentPhoto};
use crate::storage::Storage;

/// Stores a photo of incident `id`. The caller must be able to act on the incident, and the incident must
/// still be open.
pub async fn add(
    db: &Db,
    storage: &Storage,
    caller: Caller,
    id: String,
    stage: PhotoStage,
    bytes: Bytes,
    policy: &Policy,
) -> Result<PhotoRow, ApiError> {
    caller.require(Permission::IncidentsReport)?;
    let kind = sniffed(&bytes)?;
    // Cheap checks first, so a refused caller costs no upload to the store.
    let (seer, incident_id) = (caller.clone(), id.clone());
    let incident = db.run(move |conn| open_incident(conn, &seer, &incident_id)).await?;
    let meta = photo::read_meta(&bytes, policy.tz);
    let now = db::now();
    let flags = photo::flags(
        &meta,
        (incident.lon, incident.lat),
        incident.reported_at.and_utc(),
        now.and_utc(),
        policy.photo_max_distance_m,
        policy.photo_max_age_hours,
    );
    let photo_id = db::new_id();
    let key = format!("incidents/{id}/{photo_id}.{}", kind.extension());
    let row = PhotoRow {
        id: photo_id,
        incident_id: id,
        stage: stage.as_str().into(),
        media_type: kind.media_type().into(),
        size_bytes: bytes.len() as i64,
        sha256: format!("{:x}", Sha256::digest(&bytes)),
        storage_key: key.clone(),
        taken_at: meta.taken_at.map(|t| t.naive_utc()),
        lon: meta.position.map(|p| p.0),
        lat: meta.position.map(|p| p.1),
        flags: serde_json::to_string(&flags).map_err(ApiError::internal)?,
        uploaded_by: caller.account().map(str::to_owned),
        uploader_name: caller.username.clone(),
        uploaded_at: now,
    };
    storage.put(&key, bytes).await.map_err(ApiError::internal)?;
    let stored = row.clone();
    let written = db
        .transaction(move |conn| {
            let incident = open_incident(conn, &caller, &stored.incident_id)?;
            store::insert_photo(conn, &stored)?;
            let status = stored_status(&incident)?;
            let data = serde_json::json!({"photo_id": stored.id, "stage": stored.stage});
            record_entry(conn, &caller, &incident.id, "photo_added", Some(status), status, None, data)?;
            let facts = IncidentPhoto {
                incident_id: incident.id.clone(),
                photo_id: stored.id.clone(),
                stage: stored.stage.clone(),
                flagged: stored.flags != "[]",
            };
            events::record_one(conn, &caller, event_of(&incident, EventData::IncidentPhotoAdded(facts)))
        })
        .await;
    if let Err(e) = written {
        // Nothing refers to the object: remove it rather than leave it behind.
        let _ = storage.delete(&key).await;
        return Err(e);
    }
    Ok(row)
}

/// The photo's type, read from its content; 422 `/problems/photo-unsupported` for anything else.
pub fn sniffed(bytes: &[u8]) -> Result<photo::ImageKind, ApiError> {
    photo::sniff(bytes).ok_or_else(|| ApiError::Rule {
        slug: "photo-unsupported",
        title: "The file is not a supported photo",
        detail: "the content is not a JPEG, PNG, WebP or HEIC image (whatever its name says)".into(),
        errors: vec![FieldError::new("file", "not a JPEG, PNG, WebP or HEIC image")],
    })
}

/// A photo's record and bytes, for a caller who may see its incident.
pub async fn read(
    db: &Db,
    storage: &Storage,
    caller: Caller,
    incident: String,
    photo_id: String,
) -> Result<(PhotoRow, Bytes), ApiError> {
    let row = db
        .run(move |conn| {
            service::visible(conn, &caller, &incident)?;
            store::find_photo(conn, &incident, &photo_id)?.ok_or_else(|| ApiError::NotFound("no photo here".into()))
        })
        .await?;
    let bytes = storage.get(&row.storage_key).await.map_err(ApiError::internal)?;
    Ok((row, bytes))
}

fn open_incident(
    conn: &mut crate::db::AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<store::IncidentRow, ApiError> {
    let incident = service::visible(conn, caller, id)?;
    let reporter = incident.reporter_id.is_some() && incident.reporter_id.as_deref() == caller.account();
    if !service::acts_on(caller, &incident) && !reporter {
        return Err(ApiError::Forbidden("the incident is outside your part of the grid".into()));
    }
    if !stored_status(&incident)?.is_open() {
        return Err(ApiError::Conflict(format!("the incident is {}; photos can no longer be added", incident.status)));
    }
    Ok(incident)
}
