//! The depot's mailer against a real SMTP server process (aiosmtpd, `smtp_server.py`):
//! STARTTLS and implicit TLS through rustls with certificates made by the test (a self-signed
//! authority, trusted through `SMTP_CA_FILE`, and the server's),
//! AUTH, the sender and the hidden copy, and the errors an operator must be able to read — a
//! wrong password (without the password), a certificate not trusted, a relay away.
#![allow(clippy::unwrap_used)]
mod smtp_server;

use ban_depot::{MailError, Mailer, RefusalNotice, SmtpMailer, SmtpSettings};
use ban_service_kit::SecretUrl;
use smtp_server::{Mode, SmtpServer};
use std::time::Duration;

const PASSWORD: &str = "s3cret p@ss";
const WAIT: Duration = Duration::from_secs(20);

fn settings(url: String, server: &SmtpServer) -> SmtpSettings {
    SmtpSettings {
        url: SecretUrl::new(url),
        from: "BAN Sync <ne-pas-repondre@ban-sync.example>".into(),
        bcc: Some("archives@ban-sync.example".into()),
        ca_file: server.certificate.clone(),
    }
}

/// `user:password@` as a URL carries them.
fn credentials(user: &str, password: &str) -> String {
    let encode = |text: &str| percent_encode(text);
    format!("{}:{}@", encode(user), encode(password))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn notice() -> RefusalNotice {
    RefusalNotice {
        code_commune: "54084".into(),
        nom_commune: Some("Mont-Bonvillers".into()),
        revision_id: "0123456789abcdef01234567".into(),
        published_at: None,
        client: "Éditeur".into(),
        mandataire: "Société".into(),
        reason: "Plus de 80 % des adresses supprimées : la publication supprimerait 9 des 10 adresses."
            .into(),
        advice: "Vérifiez que le fichier publié est complet.".into(),
    }
}

#[tokio::test]
async fn starttls_with_authentication_delivers_the_pin_code() {
    let server = SmtpServer::start(Mode::StartTls, Some(("ban", PASSWORD)));
    let url = format!("smtp://{}localhost:{}?tls=starttls", credentials("ban", PASSWORD), server.port);
    let mailer = SmtpMailer::new(&settings(url, &server)).unwrap();
    mailer.send_pin_code("mairie@mont-bonvillers.fr", "54084", "042137").await.unwrap();
    let mail = server.wait_for(1, WAIT).await.remove(0);
    assert_eq!((mail.tls, mail.login.as_deref()), (true, Some("ban")));
    assert_eq!(mail.to, "mairie@mont-bonvillers.fr");
    assert_eq!(mail.from, "BAN Sync <ne-pas-repondre@ban-sync.example>");
    assert_eq!(mail.subject, "Demande de code d’identification");
    assert!(
        mail.body.contains("Publication de la Base Adresse Locale de Mont-Bonvillers (54084)"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("Votre code de validation est : 042137"), "{}", mail.body);
    assert!(mail.body.contains("Si vous n’êtes pas à l’origine de cette demande"), "UTF-8: {}", mail.body);
    assert_eq!(mail.rcpt_tos, ["mairie@mont-bonvillers.fr", "archives@ban-sync.example"]);
    assert_eq!(mail.bcc, None, "the hidden copy is not shown to the others");
}

#[tokio::test]
async fn implicit_tls_with_authentication_delivers_a_refusal() {
    let server = SmtpServer::start(Mode::ImplicitTls, Some(("ban", PASSWORD)));
    let url = format!("smtps://{}localhost:{}", credentials("ban", PASSWORD), server.port);
    let mailer = SmtpMailer::new(&settings(url, &server)).unwrap();
    let to = ["contact@editeur.example".to_owned()];
    mailer.send_refusal_to_producer(&to, &notice()).await.unwrap();
    mailer.send_refusal_to_town_hall(&["mairie@mont-bonvillers.fr".to_owned()], &notice()).await.unwrap();
    let received = server.wait_for(2, WAIT).await;
    let (producer, town_hall) = (&received[0], &received[1]);
    assert_eq!((producer.tls, producer.login.as_deref()), (true, Some("ban")));
    assert_eq!(producer.to, "contact@editeur.example");
    assert_eq!(producer.subject, "Publication refusée : Base Adresse Locale de Mont-Bonvillers (54084)");
    assert_eq!(town_hall.to, "mairie@mont-bonvillers.fr");
    assert!(
        town_hall.subject.contains("une publication de vos adresses a été refusée"),
        "{}",
        town_hall.subject
    );
    for mail in [producer, town_hall] {
        assert!(mail.body.contains("Plus de 80 % des adresses supprimées"), "{}", mail.body);
        assert!(mail.body.contains("0123456789abcdef01234567"), "{}", mail.body);
    }
}

#[tokio::test]
async fn plain_relay_without_authentication() {
    let server = SmtpServer::start(Mode::Plain, None);
    let mailer = SmtpMailer::new(&settings(format!("smtp://localhost:{}", server.port), &server)).unwrap();
    mailer.send_pin_code("mairie@example.fr", "54084", "123456").await.unwrap();
    let mail = server.wait_for(1, WAIT).await.remove(0);
    assert_eq!((mail.tls, mail.login), (false, None));
    assert!(mail.body.contains("123456"));
}

#[tokio::test]
async fn a_wrong_password_is_told_without_the_password() {
    for mode in [Mode::StartTls, Mode::ImplicitTls] {
        let server = SmtpServer::start(mode, Some(("ban", PASSWORD)));
        let wrong = "not-the-password-42";
        let url = match mode {
            Mode::StartTls => {
                format!("smtp://{}localhost:{}?tls=starttls", credentials("ban", wrong), server.port)
            }
            _ => format!("smtps://{}localhost:{}", credentials("ban", wrong), server.port),
        };
        let mailer = SmtpMailer::new(&settings(url, &server)).unwrap();
        let error = mailer.send_pin_code("mairie@example.fr", "54084", "123456").await.unwrap_err();
        assert!(matches!(error, MailError::Credentials { .. }), "{error:?}");
        assert!(!error.is_transient(), "sending again will not help");
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("refused the credentials of user \"ban\""), "{shown}");
        assert!(shown.contains("535"), "{shown}");
        assert!(!shown.contains(wrong), "the password is never shown: {shown}");
        assert!(format!("{mailer:?}").find(wrong).is_none(), "nor by the mailer's Debug");
        assert!(server.received().is_empty());
    }
}

#[tokio::test]
async fn an_untrusted_certificate_and_a_relay_away_are_told() {
    let server = SmtpServer::start(Mode::ImplicitTls, None);
    let url = format!("smtps://localhost:{}", server.port);
    let mailer = SmtpMailer::new(&SmtpSettings { ca_file: None, ..settings(url, &server) }).unwrap();
    let error = mailer.send_pin_code("mairie@example.fr", "54084", "123456").await.unwrap_err();
    assert!(matches!(error, MailError::Tls { .. }), "a certificate of an authority not trusted: {error:?}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mailer = SmtpMailer::new(&settings(format!("smtp://127.0.0.1:{closed}"), &server)).unwrap();
    let error = mailer.send_pin_code("mairie@example.fr", "54084", "123456").await.unwrap_err();
    assert!(error.is_transient(), "tried again later: {error:?}");
}
