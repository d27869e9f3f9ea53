//! Files (photos, uploaded imports) go through object_store: a local directory by default, S3-compatible
//! storage by URL in production, where several instances share one bucket. Keys are relative and
//! `/`-separated, like `incidents/<uuid>/<uuid>.jpg`; the same key names the same object on either backend.

use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use futures_util::StreamExt;

use bytes::Bytes;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

/// Where files live; cheap to clone and share between workers.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// `file:///abs/dir` or `s3://bucket[/prefix]`, for logs.
    location: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("invalid storage URL: {0}")]
    InvalidUrl(String),
    #[error("object not found: {0}")]
    NotFound(String),
    #[error("object store: {0}")]
    Store(#[source] object_store::Error),
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Storage").field(&self.location).finish()
    }
}

impl Storage {
    /// `file:///abs/dir`, a plain path (relative paths are fine; the directory is created), or
    /// `s3://bucket[/prefix]`. For S3 the endpoint, region and credentials come from the standard AWS_*
    /// environment variables (AWS_ENDPOINT_URL or AWS_ENDPOINT, AWS_REGION or AWS_DEFAULT_REGION,
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, …); requests are path-style, and a plain-http endpoint
    /// (a local S3-compatible server) is allowed.
    pub fn from_url(url: &str) -> Result<Self, StorageError> {
        Self::from_url_and_env(url, std::env::vars())
    }

    /// [`Storage::from_url`] with the environment passed in, so tests need not change the process's.
    fn from_url_and_env(url: &str, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, StorageError> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (builder, prefix) = s3_builder(url, rest, env)?;
            let s3 = builder.build().map_err(StorageError::Store)?;
            let bucket = rest.split('/').next().unwrap_or(rest);
            let (store, location): (Arc<dyn ObjectStore>, _) = if prefix.as_ref().is_empty() {
                (Arc::new(s3), format!("s3://{bucket}"))
            } else {
                let location = format!("s3://{bucket}/{prefix}");
                (Arc::new(PrefixStore::new(s3, prefix)), location)
            };
            return Ok(Self { store, location });
        }
        let dir = match url.strip_prefix("file://") {
            Some(path) if path.starts_with('/') => path,
            Some(_) => return Err(StorageError::InvalidUrl(format!("{url}: a file URL needs an absolute path"))),
            None if url.is_empty() || url.contains("://") => return Err(StorageError::InvalidUrl(url.to_owned())),
            None => url,
        };
        let io_error = |source: std::io::Error| {
            StorageError::Store(object_store::Error::Generic { store: "LocalFileSystem", source: Box::new(source) })
        };
        std::fs::create_dir_all(dir).map_err(io_error)?;
        let dir = std::fs::canonicalize(dir).map_err(io_error)?;
        let store = LocalFileSystem::new_with_prefix(&dir).map_err(StorageError::Store)?;
        Ok(Self { store: Arc::new(store), location: format!("file://{}", dir.display()) })
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        let path = key_path(key)?;
        self.store.put(&path, PutPayload::from(bytes)).await.map_err(|e| store_error(key, e))?;
        Ok(())
    }

    /// The object under `key`; [`StorageError::NotFound`] when there is none.
    pub async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        let path = key_path(key)?;
        let found = self.store.get(&path).await.map_err(|e| store_error(key, e))?;
        found.bytes().await.map_err(|e| store_error(key, e))
    }

    /// Stores a file under `key` in parts, so a large upload never sits in memory whole.
    pub async fn put_file(&self, key: &str, mut file: std::fs::File) -> Result<(), StorageError> {
        let path = key_path(key)?;
        let upload = self.store.put_multipart(&path).await.map_err(|e| store_error(key, e))?;
        let mut writer = WriteMultipart::new(upload);
        loop {
            let (chunk, rest) = blocking(move || {
                let mut chunk = vec![0; PART_BYTES];
                let n = file.read(&mut chunk)?;
                chunk.truncate(n);
                Ok((chunk, file))
            })
            .await?;
            file = rest;
            if chunk.is_empty() {
                break;
            }
            writer.wait_for_capacity(4).await.map_err(StorageError::Store)?;
            writer.put(Bytes::from(chunk));
        }
        writer.finish().await.map_err(StorageError::Store)?;
        Ok(())
    }

    /// The object under `key` copied into a temporary file (rewound), streamed in parts.
    pub async fn get_file(&self, key: &str) -> Result<std::fs::File, StorageError> {
        let path = key_path(key)?;
        let found = self.store.get(&path).await.map_err(|e| store_error(key, e))?;
        let mut stream = found.into_stream();
        let mut file = blocking(tempfile::tempfile).await?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| store_error(key, e))?;
            file = blocking(move || file.write_all(&chunk).map(|_| file)).await?;
        }
        blocking(move || file.seek(SeekFrom::Start(0)).map(|_| file)).await
    }

    /// Removes the object under `key`; an absent one is already gone, which is what the caller wants.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = key_path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError::Store(e)),
        }
    }

    /// Where objects go, for logs: `file:///…` or `s3://bucket/prefix`, never credentials.
    pub fn describe(&self) -> String {
        self.location.clone()
    }
}

/// The S3 builder for `s3://bucket[/prefix]` (`rest` is what follows the scheme) and its key prefix.
fn s3_builder(
    url: &str,
    rest: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(AmazonS3Builder, Path), StorageError> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    // S3's bucket naming rules, loosely: enough to catch a typo'd URL before the first request does.
    let bucket_ok = bucket.len() >= 3
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !bucket_ok {
        return Err(StorageError::InvalidUrl(format!("{url}: bad bucket name")));
    }
    let prefix = Path::parse(prefix).map_err(|e| StorageError::InvalidUrl(format!("{url}: {e}")))?;
    // What AmazonS3Builder::from_env does, over the given variables.
    let mut builder = AmazonS3Builder::new();
    for (key, value) in env {
        if key.starts_with("AWS_")
            && let Ok(config) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>()
        {
            builder = builder.with_config(config, value);
        }
    }
    // Path-style (the builder's default) is what S3-compatible servers understand; a plain-http endpoint
    // is a local or in-cluster server, which object_store refuses unless told.
    let endpoint =
        [AmazonS3ConfigKey::S3Endpoint, AmazonS3ConfigKey::Endpoint].iter().find_map(|k| builder.get_config_value(k));
    if endpoint.is_some_and(|e| e.starts_with("http://")) {
        builder = builder.with_allow_http(true);
    }
    // A few quick retries: an upload waits on this, and a phone will retry the whole request anyway.
    let retry = object_store::RetryConfig {
        max_retries: 3,
        retry_timeout: std::time::Duration::from_secs(20),
        ..Default::default()
    };
    Ok((builder.with_bucket_name(bucket).with_retry(retry), prefix))
}

/// A key as an object path: relative, `/`-separated, no empty, `.` or `..` segments.
/// Bytes read from a file for each part of an upload.
const PART_BYTES: usize = 8 * 1024 * 1024;

/// Runs file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, StorageError> {
    let io_error = |source: std::io::Error| {
        StorageError::Store(object_store::Error::Generic { store: "file", source: Box::new(source) })
    };
    tokio::task::spawn_blocking(f).await.map_err(|e| io_error(std::io::Error::other(e)))?.map_err(io_error)
}

fn key_path(key: &str) -> Result<Path, StorageError> {
    let invalid = |source| StorageError::Store(object_store::Error::InvalidPath { source });
    let path = Path::parse(key).map_err(invalid)?;
    // Path::parse takes "" (and "/") as the root, which is no object.
    if path.as_ref().is_empty() {
        return Err(invalid(object_store::path::Error::EmptySegment { path: key.to_owned() }));
    }
    Ok(path)
}

fn store_error(key: &str, error: object_store::Error) -> StorageError {
    match error {
        object_store::Error::NotFound { .. } => StorageError::NotFound(key.to_owned()),
        e => StorageError::Store(e),
    }
}

#[cfg(test)]
mod tests {
    use object_store::ClientConfigKey;

    use super::*;

    fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter().map(|&(k, v)| (k.to_owned(), v.to_owned())).collect()
    }

    async fn round_trip(storage: &Storage) {
        let key = "incidents/0199a1b2-0000-7000-8000-000000000001/0199a1b2-0000-7000-8000-000000000002.jpg";
        let missing = "incidents/0199a1b2-0000-7000-8000-000000000001/missing.jpg";
        storage.put(key, Bytes::from_static(b"\xFF\xD8\xFF first")).await.unwrap();
        storage.put(key, Bytes::from_static(b"\xFF\xD8\xFF second")).await.unwrap();
        assert_eq!(storage.get(key).await.unwrap(), Bytes::from_static(b"\xFF\xD8\xFF second"));
        assert!(matches!(storage.get(missing).await, Err(StorageError::NotFound(k)) if k == missing));
        storage.delete(key).await.unwrap();
        assert!(matches!(storage.get(key).await, Err(StorageError::NotFound(_))));
        // Deleting what is gone is fine.
        storage.delete(key).await.unwrap();
        storage.delete(missing).await.unwrap();
    }

    #[tokio::test]
    async fn local_directory_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::from_url(&format!("file://{}", dir.path().display())).unwrap();
        round_trip(&storage).await;
        // The files are where the URL says, under their keys.
        storage.put("imports/a.csv", Bytes::from_static(b"plate,result\n")).await.unwrap();
        assert_eq!(std::fs::read(dir.path().join("imports/a.csv")).unwrap(), b"plate,result\n");
    }

    #[tokio::test]
    async fn a_plain_path_is_created_and_two_handles_share_it() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("data/photos");
        let first = Storage::from_url(nested.to_str().unwrap()).unwrap();
        assert!(nested.is_dir());
        let second = Storage::from_url(&format!("file://{}", nested.display())).unwrap();
        first.put("incidents/x/y.png", Bytes::from_static(b"png")).await.unwrap();
        assert_eq!(second.get("incidents/x/y.png").await.unwrap(), Bytes::from_static(b"png"));
        assert_eq!(first.describe(), second.describe());
        assert_eq!(first.describe(), format!("file://{}", nested.canonicalize().unwrap().display()));
    }

    #[tokio::test]
    async fn a_relative_path_is_created_under_the_working_directory() {
        // A temporary directory reached from the working directory by "../..", so nothing lands in the
        // project.
        let dir = tempfile::tempdir().unwrap();
        let cwd = std::env::current_dir().unwrap();
        let up = "../".repeat(cwd.components().count() - 1);
        let relative = format!("{up}{}/new/dir", dir.path().strip_prefix("/").unwrap().display());
        let storage = Storage::from_url(&relative).unwrap();
        let absolute = dir.path().join("new/dir").canonicalize().unwrap();
        assert_eq!(storage.describe(), format!("file://{}", absolute.display()));
        round_trip(&storage).await;
    }

    #[tokio::test]
    async fn bad_keys_are_refused_before_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::from_url(dir.path().to_str().unwrap()).unwrap();
        for key in ["", "/", "incidents//x.jpg", "incidents/../../etc/passwd", "./x.jpg", "a/\n/b"] {
            let result = storage.put(key, Bytes::from_static(b"x")).await;
            assert!(
                matches!(result, Err(StorageError::Store(object_store::Error::InvalidPath { .. }))),
                "{key:?}: {result:?}"
            );
            assert!(storage.get(key).await.is_err(), "{key:?}");
        }
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");
    }

    #[test]
    fn refuses_urls_it_cannot_serve() {
        for url in
            ["", "file://relative/dir", "gs://bucket", "http://127.0.0.1:9000/bucket", "s3://", "s3://Bad_Bucket"]
        {
            assert!(matches!(Storage::from_url_and_env(url, no_env()), Err(StorageError::InvalidUrl(_))), "{url}");
        }
        assert!(matches!(
            Storage::from_url_and_env("s3://bucket/a//b", no_env()),
            Err(StorageError::InvalidUrl(m)) if m.contains("s3://bucket/a//b")
        ));
    }

    #[test]
    fn s3_urls_name_bucket_and_prefix_without_credentials() {
        let vars = env(&[
            ("AWS_ENDPOINT_URL", "https://s3.example.internal"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"),
        ]);
        let storage = Storage::from_url_and_env("s3://airgrid-photos/prod/v1/", vars.clone()).unwrap();
        assert_eq!(storage.describe(), "s3://airgrid-photos/prod/v1");
        let debug = format!("{storage:?}");
        assert!(!debug.contains("AKIDEXAMPLE") && !debug.contains("wJalrXUtnFEMI"), "{debug}");
        let storage = Storage::from_url_and_env("s3://airgrid-photos", vars).unwrap();
        assert_eq!(storage.describe(), "s3://airgrid-photos");
    }

    #[test]
    fn s3_settings_come_from_aws_variables() {
        let allow_http = AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp);
        let vars = env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5055"),
            ("AWS_DEFAULT_REGION", "cn-north-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("HOME", "/root"),
        ]);
        let (builder, prefix) = s3_builder("s3://airgrid-test/p", "airgrid-test/p", vars).unwrap();
        assert_eq!(prefix.as_ref(), "p");
        assert_eq!(builder.get_config_value(&AmazonS3ConfigKey::Bucket).as_deref(), Some("airgrid-test"));
        assert_eq!(builder.get_config_value(&AmazonS3ConfigKey::Endpoint).as_deref(), Some("http://127.0.0.1:5055"));
        assert_eq!(builder.get_config_value(&AmazonS3ConfigKey::DefaultRegion).as_deref(), Some("cn-north-1"));
        assert_eq!(builder.get_config_value(&AmazonS3ConfigKey::AccessKeyId).as_deref(), Some("test"));
        assert_eq!(builder.get_config_value(&allow_http).as_deref(), Some("true"));
        let path_style = AmazonS3ConfigKey::VirtualHostedStyleRequest;
        assert_eq!(builder.get_config_value(&path_style).as_deref(), Some("false"));
        // The older AWS_ENDPOINT works too; https endpoints keep http refused.
        let vars = env(&[("AWS_ENDPOINT", "https://minio.example.internal"), ("AWS_REGION", "us-east-1")]);
        let (builder, _) = s3_builder("s3://b01", "b01", vars).unwrap();
        assert_eq!(
            builder.get_config_value(&AmazonS3ConfigKey::Endpoint).as_deref(),
            Some("https://minio.example.internal")
        );
        assert_eq!(builder.get_config_value(&AmazonS3ConfigKey::Region).as_deref(), Some("us-east-1"));
        assert_ne!(builder.get_config_value(&allow_http).as_deref(), Some("true"));
    }

    /// Against a real S3-compatible server, when AIRGRID_TEST_S3_URL names a bucket there (for example
    /// `s3://airgrid-test` with AWS_ENDPOINT_URL=http://127.0.0.1:5055 and a moto server); skipped
    /// otherwise.
    #[tokio::test]
    async fn s3_round_trip() {
        let Ok(url) = std::env::var("AIRGRID_TEST_S3_URL") else {
            eprintln!("AIRGRID_TEST_S3_URL is not set; skipping the S3 round trip");
            return;
        };
        let storage = Storage::from_url(&url).unwrap();
        round_trip(&storage).await;
        // A prefix keeps instances or environments apart in one bucket.
        let prefixed =
            Storage::from_url(&format!("{}/prefixed-{}", url.trim_end_matches('/'), std::process::id())).unwrap();
        prefixed.put("incidents/a/b.jpg", Bytes::from_static(b"jpeg")).await.unwrap();
        assert!(matches!(storage.get("incidents/a/b.jpg").await, Err(StorageError::NotFound(_))));
        assert_eq!(prefixed.get("incidents/a/b.jpg").await.unwrap(), Bytes::from_static(b"jpeg"));
        prefixed.delete("incidents/a/b.jpg").await.unwrap();
    }
}
