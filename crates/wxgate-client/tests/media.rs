//! Temporary media against the simulator: local validation before any network call, every type uploaded (thumb
//! answered with `thumb_media_id`), the content-hash cache reused and renewed after its life, downloads, and
//! progress reporting.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use wxgate_client::{CacheOutcome, ClientError, DownloadedMedia, ErrCode, MediaType};
use wxgate_proto::kf::{KfBody, KfMessage, MediaRef};

#[tokio::test]
async fn invalid_files_are_refused_before_the_network() {
    let sim = sim().await;
    let c = client(&sim, None);
    let big = {
        let mut v = jpeg(1);
        v.resize((2 << 20) + 1, 0);
        v
    };
    let err = c.upload_media(MediaType::Image, "big.jpg", Bytes::from(big), None).await.unwrap_err();
    assert!(matches!(err, ClientError::MediaTooLarge { media_type: "image", limit: 2097152, .. }), "{err}");
    assert!(err.to_string().contains("limit is 2097152 bytes"));
    let mut thumb = jpeg(2);
    thumb.resize((64 << 10) + 1, 0);
    let err = c.upload_media(MediaType::Thumb, "t.jpg", Bytes::from(thumb), None).await.unwrap_err();
    assert!(matches!(err, ClientError::MediaTooLarge { limit: 65536, .. }));
    let err = c.upload_media(MediaType::Voice, "v.wav", Bytes::from_static(b"RIFF....WAVE"), None).await.unwrap_err();
    assert!(matches!(err, ClientError::MediaFormat { .. }), "{err}");
    let err = c.upload_media(MediaType::Thumb, "t.png", Bytes::from(jpeg(3)), None).await.unwrap_err();
    assert!(matches!(err, ClientError::MediaFormat { .. }), "{err}");
    let err = c.upload_media_cached(MediaType::Video, "v.mp4", Bytes::new(), None).await.unwrap_err();
    assert!(matches!(err, ClientError::MediaEmpty { .. }));
    let n = sim.counters();
    assert_eq!((n.media_uploads, n.stable_token_requests), (0, 0), "nothing reached the network");
}

#[tokio::test]
async fn every_type_uploads_and_downloads() {
    let sim = sim().await;
    let c = client(&sim, None);
    let image = c.upload_media(MediaType::Image, "a.jpg", Bytes::from(jpeg(1)), None).await.unwrap();
    let thumb = c.upload_media(MediaType::Thumb, "t.jpg", Bytes::from(jpeg(2)), None).await.unwrap();
    let voice = c.upload_media(MediaType::Voice, "v.amr", Bytes::from(amr()), None).await.unwrap();
    let video = c.upload_media(MediaType::Video, "v.mp4", Bytes::from(mp4()), None).await.unwrap();
    assert!(thumb.media_id.len() > 10 && thumb.created_at > 0, "thumb_media_id read");
    assert_eq!(sim.counters().media_uploads, 4);

    match c.download_media(&image.media_id).await.unwrap() {
        DownloadedMedia::Bytes { content_type, filename, bytes } => {
            assert_eq!(bytes.as_ref(), jpeg(1).as_slice());
            assert_eq!(content_type.as_deref(), Some("image/jpeg"));
            assert_eq!(filename, Some(format!("{}.jpg", image.media_id)));
        }
        other => panic!("{other:?}"),
    }
    match c.download_media(&voice.media_id).await.unwrap() {
        DownloadedMedia::Bytes { bytes, .. } => assert_eq!(bytes.as_ref(), amr().as_slice()),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(c.download_media(&video.media_id).await.unwrap(), DownloadedMedia::VideoUrl(u) if u.starts_with("http://"))
    );
    let err = c.download_media("no-such-media").await.unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::InvalidMediaId));
}

#[tokio::test]
async fn the_cache_uploads_once_and_again_after_the_media_life() {
    let sim = sim().await;
    let c = client(&sim, None);
    let u = "oMediaCacheUser0000000000001";
    user(&sim, APPID, u);
    let file = Bytes::from(jpeg(7));
    let (first, outcome) = c.upload_media_cached(MediaType::Image, "logo.jpg", file.clone(), None).await.unwrap();
    assert_eq!(outcome, CacheOutcome::Uploaded);
    let (again, outcome) = c.upload_media_cached(MediaType::Image, "other-name.jpg", file.clone(), None).await.unwrap();
    assert_eq!((again.as_str(), outcome), (first.as_str(), CacheOutcome::Hit), "same bytes, same id");
    let (_, outcome) = c.upload_media_cached(MediaType::Thumb, "logo.jpg", file.clone(), None).await.unwrap();
    assert_eq!(outcome, CacheOutcome::Uploaded, "another media type is another entry");
    assert_eq!(sim.counters().media_uploads, 2);

    // Just before the 3-day life minus the 1 h margin: still reused.
    sim.clock().advance(Duration::from_secs(3 * 24 * 3600 - 3600 - 60));
    let (still, outcome) = c.upload_media_cached(MediaType::Image, "logo.jpg", file.clone(), None).await.unwrap();
    assert_eq!((still.as_str(), outcome), (first.as_str(), CacheOutcome::Hit));
    // Inside the margin: uploaded again, and the new id works.
    sim.clock().advance(Duration::from_secs(120));
    let (renewed, outcome) = c.upload_media_cached(MediaType::Image, "logo.jpg", file.clone(), None).await.unwrap();
    assert_eq!(outcome, CacheOutcome::Uploaded);
    assert_ne!(renewed, first);
    assert_eq!(sim.counters().media_uploads, 3);
    sim.record_interaction(APPID, u, wxgate_sim::Interaction::Message).unwrap();
    c.send(&KfMessage::new(u, KfBody::Image(MediaRef { media_id: renewed }))).await.unwrap();
}

#[tokio::test]
async fn a_shared_sqlite_cache_serves_a_second_client() {
    let sim = sim().await;
    let dir = std::env::temp_dir().join(format!("wxgate-client-media-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("media.sqlite");
    let open =
        || Arc::new(wxgate_store_sqlite::SqliteStore::open(&path, wxgate_store_sqlite::Durability::Normal).unwrap());
    let mk = || {
        wxgate_client::Client::builder(config(&sim, APPID, SECRET))
            .clock(Arc::new(SimClock(sim.clock().clone())))
            .media_cache(open())
            .build()
            .unwrap()
    };
    let (a, b) = (mk(), mk());
    let (id_a, _) = a.upload_media_cached(MediaType::Image, "x.jpg", Bytes::from(jpeg(9)), None).await.unwrap();
    let (id_b, outcome) = b.upload_media_cached(MediaType::Image, "x.jpg", Bytes::from(jpeg(9)), None).await.unwrap();
    assert_eq!((id_b, outcome), (id_a, CacheOutcome::Hit));
    assert_eq!(sim.counters().media_uploads, 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn progress_reaches_the_total() {
    let sim = sim().await;
    let c = client(&sim, None);
    let mut video = mp4();
    video.resize(1 << 20, 7);
    let total = video.len() as u64;
    let seen = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(AtomicU64::new(0));
    let (s, n) = (seen.clone(), calls.clone());
    let progress: wxgate_client::media::Progress = Arc::new(move |sent, all| {
        assert_eq!(all, total);
        s.store(sent, Ordering::SeqCst);
        n.fetch_add(1, Ordering::SeqCst);
    });
    c.upload_media(MediaType::Video, "big.mp4", Bytes::from(video), Some(progress)).await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), total);
    assert!(calls.load(Ordering::SeqCst) >= 16, "reported per 64 KB chunk");
}
