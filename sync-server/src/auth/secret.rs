//! The HS256 server secret: from configuration, or generated once into `<data_dir>/secret`; and
//! random token ids.

use std::fmt;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::AuthError;

/// HMAC-SHA256 keys shorter than the hash output weaken it.
const MIN_SECRET_BYTES: usize = 32;

/// The HS256 signing secret. Debug prints `Secret(..)`; there is no Display, so it cannot end up in
/// a log line by accident.
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A secret given in configuration (`--secret` / `TANDEM_SECRET`), used byte for byte.
    pub fn from_config(s: &str) -> Result<Secret, AuthError> {
        if s.len() < MIN_SECRET_BYTES {
            return Err(AuthError::BadSecret(format!(
                "must be at least {MIN_SECRET_BYTES} bytes (got {})",
                s.len()
            )));
        }
        Ok(Secret(s.as_bytes().to_vec()))
    }

    /// Reads `<data_dir>/secret`, or creates it on first start; returns whether it was generated.
    /// The file holds text that `from_config` would accept, so it can be copied into
    /// `TANDEM_SECRET` to move a deployment off local mode without invalidating its tokens.
    pub async fn load_or_generate(data_dir: &Path) -> Result<(Secret, bool), AuthError> {
        let data_dir = data_dir.to_owned();
        tokio::task::spawn_blocking(move || load_or_generate_blocking(&data_dir))
            .await
            .map_err(|e| AuthError::Io(std::io::Error::other(e)))?
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

fn load_or_generate_blocking(data_dir: &Path) -> Result<(Secret, bool), AuthError> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join("secret");
    let text = random_hex::<32>();
    // O_EXCL with the mode given at creation: the file is never visible with wider permissions,
    // and two servers starting at once cannot both write one.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            Ok((Secret::from_config(&text)?, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok((read_existing(&path)?, false))
        }
        Err(e) => Err(e.into()),
    }
}

fn read_existing(path: &Path) -> Result<Secret, AuthError> {
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AuthError::BadSecret(format!(
            "{} is accessible by group or others (mode {mode:04o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)?;
    Secret::from_config(text.trim_end()).map_err(|e| {
        AuthError::BadSecret(format!(
            "{}: {e}; delete it to generate a new one (this invalidates every token it signed)",
            path.display()
        ))
    })
}

/// A token id: 128 random bits as hex, safe in URLs and paths.
pub fn new_jti() -> String {
    random_hex::<16>()
}

fn random_hex<const N: usize>() -> String {
    let bytes: [u8; N] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_secret_length() {
        assert!(matches!(
            Secret::from_config("short"),
            Err(AuthError::BadSecret(_))
        ));
        assert!(Secret::from_config(&"x".repeat(31)).is_err());
        assert_eq!(
            Secret::from_config(&"x".repeat(32)).unwrap().bytes(),
            [b'x'; 32]
        );
    }

    #[test]
    fn debug_hides_the_bytes() {
        let s = Secret::from_config("correct-horse-battery-staple-0123456789").unwrap();
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret(..)");
        assert!(!shown.contains("horse"));
    }

    #[test]
    fn jti_is_random_and_url_safe() {
        let (a, b) = (new_jti(), new_jti());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[tokio::test]
    async fn generated_once_with_mode_0600_then_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("not-yet-there");
        let (first, generated) = Secret::load_or_generate(&dir).await.unwrap();
        assert!(generated);
        let path = dir.join("secret");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), first.bytes());

        let (second, generated) = Secret::load_or_generate(&dir).await.unwrap();
        assert!(!generated);
        assert_eq!(first.bytes(), second.bytes());
    }

    #[tokio::test]
    async fn refuses_a_world_readable_secret() {
        let tmp = tempfile::tempdir().unwrap();
        Secret::load_or_generate(tmp.path()).await.unwrap();
        let path = tmp.path().join("secret");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match Secret::load_or_generate(tmp.path()).await {
            Err(AuthError::BadSecret(msg)) => assert!(msg.contains("chmod 600"), "{msg}"),
            other => panic!("expected BadSecret, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn refuses_a_truncated_secret() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("secret");
        std::fs::write(&path, "abc").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        match Secret::load_or_generate(tmp.path()).await {
            Err(AuthError::BadSecret(msg)) => assert!(msg.contains("delete it"), "{msg}"),
            other => panic!("expected BadSecret, got {other:?}"),
        }
    }
}
