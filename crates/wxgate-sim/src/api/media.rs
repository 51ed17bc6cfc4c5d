//! Temporary media (新增临时素材, 获取临时素材): `POST /cgi-bin/media/upload?type=` (multipart field `media`, per-type
//! size and format limits, thumb answers `thumb_media_id`, Mini Programs images only) and
//! `GET /cgi-bin/media/get` (bytes, or `{"video_url"}` for videos); items expire after 3 days.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::answer::ApiError;
use crate::ids::random_id;
use crate::world::{MediaItem, Shared};

/// Allowed file extensions, size limit and its errcode per media type.
fn rules(shared: &Shared, media_type: &str) -> Option<(&'static [&'static str], usize, ApiError)> {
    let l = &shared.settings.media_limits;
    Some(match media_type {
        "image" => (&["jpg", "jpeg", "png", "gif"], l.image, ApiError::new(40009, "invalid image size")),
        "voice" => (&["amr", "mp3"], l.voice, ApiError::new(40010, "invalid voice size")),
        "video" => (&["mp4"], l.video, ApiError::new(40011, "invalid video size")),
        "thumb" => (&["jpg", "jpeg"], l.thumb, ApiError::new(40012, "invalid thumb size")),
        _ => return None,
    })
}

fn content_type_for(filename: &str) -> &'static str {
    match filename.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("amr") => "audio/amr",
        Some("mp3") => "audio/mpeg",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// The upload handler.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let caller = {
        let mut world = shared.world();
        world.counters.media_uploads += 1;
        shared.caller(&world, &q)
    };
    let outcome = match caller {
        Ok(caller) => upload_inner(&shared, &caller.appid, q.get("type").map(String::as_str), multipart).await,
        Err(e) => Err(e),
    };
    shared.answer(outcome)
}

async fn upload_inner(
    shared: &Shared,
    appid: &str,
    media_type: Option<&str>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Value, ApiError> {
    let invalid_type = ApiError::new(40004, "invalid media type");
    let media_type = media_type.ok_or(invalid_type)?;
    let mini = shared.world().accounts.get(appid).is_some_and(|a| a.account.kind.is_mini_program());
    if mini && media_type != "image" {
        return Err(invalid_type);
    }
    let (exts, limit, too_big) = rules(shared, media_type).ok_or(invalid_type)?;
    let missing = ApiError::new(41005, "media data missing");
    let mut multipart = multipart.map_err(|_| missing)?;
    let mut file = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("media") {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| missing)?;
            file = Some((filename, bytes));
            break;
        }
    }
    let (filename, bytes) = file.ok_or(missing)?;
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !exts.contains(&ext.as_str()) {
        return Err(ApiError::new(40005, "invalid file type"));
    }
    if bytes.is_empty() {
        return Err(ApiError::new(40006, "invalid meida size"));
    }
    if bytes.len() > limit {
        return Err(too_big);
    }
    let now = shared.clock.now_ms();
    let media_id = random_id(64);
    let item = MediaItem {
        appid: appid.to_owned(),
        media_type: media_type.to_owned(),
        content_type: content_type_for(&filename).to_owned(),
        filename,
        bytes,
        created_ms: now,
    };
    shared.world().media.insert(media_id.clone(), item);
    let id_key = if media_type == "thumb" { "thumb_media_id" } else { "media_id" };
    Ok(json!({"type": media_type, id_key: media_id, "created_at": now / 1000}))
}

/// A live media item of `appid`.
fn live(shared: &Shared, appid: &str, media_id: &str) -> Option<MediaItem> {
    let ttl = shared.settings.media_ttl.as_millis() as u64;
    let now = shared.clock.now_ms();
    shared.world().media.get(media_id).filter(|m| m.appid == appid && now < m.created_ms + ttl).cloned()
}

fn bytes_response(media_id: &str, m: MediaItem) -> Response {
    let ext = m.filename.rsplit_once('.').map(|(_, e)| e.to_owned()).unwrap_or_else(|| "bin".into());
    let disposition = format!("attachment; filename=\"{media_id}.{ext}\"");
    ([(header::CONTENT_TYPE, m.content_type), (header::CONTENT_DISPOSITION, disposition)], m.bytes).into_response()
}

/// `GET /cgi-bin/media/get?media_id=`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let caller = {
        let mut world = shared.world();
        world.counters.media_gets += 1;
        shared.caller(&world, &q)
    };
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return shared.answer(Err(e)),
    };
    let media_id = q.get("media_id").map(String::as_str).unwrap_or_default();
    match live(&shared, &caller.appid, media_id) {
        Some(m) if m.media_type == "video" => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
            shared.answer(Ok(json!({"video_url": format!("http://{host}/sim/media/{media_id}")})))
        }
        Some(m) => bytes_response(media_id, m),
        None => shared.answer(Err(ApiError::new(40007, "invalid media_id"))),
    }
}

/// `GET /sim/media/{media_id}`: the download URL handed out for videos.
pub(crate) async fn raw(State(shared): State<Arc<Shared>>, Path(media_id): Path<String>) -> Response {
    let item = shared.world().media.get(&media_id).cloned();
    match item {
        Some(m) => bytes_response(&media_id, m),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}
