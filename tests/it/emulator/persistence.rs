//! Objects survive a restart over the same data directory, and two emulators cannot share
//! one directory.

use reqwest::Method;

use super::{Org, V, stream_body};

#[tokio::test]
async fn a_restart_finds_every_object() {
    let org = Org::start().await;
    let token = org.token().await;
    let mut ids = Vec::new();
    for index in 0..3 {
        ids.push(org.create_connection(&token, &format!("Kept_{index}")).await);
    }
    let (status, _) = org
        .call(
            Method::POST,
            &format!("{V}/data-streams"),
            &token,
            Some(stream_body("Kept_Stream", "Kept_0")),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        org.call(Method::DELETE, &format!("{V}/connections/{}", ids[2]), &token, None)
            .await
            .0,
        204
    );
    let (_, before) = org
        .call(Method::GET, &format!("{V}/data-streams/Kept_Stream"), &token, None)
        .await;
    let dir = org.stop().await;
    assert!(dir.path().join("objects.json").exists());

    let org = Org::start_in(dir, |_| {}).await;
    let token = org.token().await;
    let list = org.rds_connections(&token, "").await;
    let names: Vec<_> = list["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Kept_0", "Kept_1"]);
    let (_, after) = org
        .call(Method::GET, &format!("{V}/data-streams/Kept_Stream"), &token, None)
        .await;
    assert_eq!(before, after);
    // New ids continue after the old ones.
    let fresh = org.create_connection(&token, "Fresh").await;
    assert!(!ids.contains(&fresh));
    assert!(fresh > ids[2]);
}

#[tokio::test]
async fn one_directory_one_emulator() {
    let org = Org::start().await;
    let again = d360_emulator::start(d360_emulator::Options::new(org.dir.path())).await;
    assert!(matches!(again, Err(d360_emulator::EmulatorError::InUse { .. })));
}
