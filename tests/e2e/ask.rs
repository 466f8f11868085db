//! `tandem ask` against a real `claude-mock` process: the `[ai]` settings of the config file
//! reach both providers, the answer streams to stdout and the call's usage to stderr.

use std::process::Output;

use serde_json::json;

use crate::claude_mock::ClaudeMock;
use crate::harness::{tandem_bin, within};

const KEY: &str = "sk-ant-e2e-secret-key";

async fn ask(config: &std::path::Path, prompt: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(tandem_bin());
    cmd.args(["ask", "--config"])
        .arg(config)
        .arg(prompt)
        .env_remove("TANDEM_CONFIG")
        .env_remove("ANTHROPIC_API_KEY")
        .envs(env.iter().copied());
    within(cmd.output()).await.expect("run tandem ask")
}

async fn mock_with_rules(dir: &std::path::Path) -> ClaudeMock {
    let rules = dir.join("rules.json");
    let reply = json!({"rules": [
        {"when": {"last_user_contains": "capital"}, "reply": [{"text": "Paris is the capital of France."}]},
        {"when": {"always": true}, "reply": [{"text": "You said: {{last_user}}"}]}
    ]});
    std::fs::write(&rules, reply.to_string()).unwrap();
    ClaudeMock::start(&["--rules", rules.to_str().unwrap(), "--api-key", KEY]).await
}

#[tokio::test]
async fn ask_streams_an_answer_through_either_provider() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with_rules(dir.path()).await;
    let anthropic = dir.path().join("anthropic.toml");
    std::fs::write(
        &anthropic,
        format!(
            "[ai.anthropic.client]\nbase_url = \"{}\"\n[[ai.anthropic.keys]]\nid = \"e2e\"\nkey_env = \"E2E_KEY\"\n",
            mock.url
        ),
    )
    .unwrap();
    let bedrock = dir.path().join("bedrock.toml");
    std::fs::write(
        &bedrock,
        format!(
            "[[ai.bedrock.accounts]]\nid = \"aws\"\n[ai.bedrock.accounts.client]\nregion = \"eu-west-1\"\n\
             endpoint_url = \"{}\"\naccess_key_id = \"AKIDE2E\"\nsecret_access_key = \"e2e-secret\"\n",
            mock.url
        ),
    )
    .unwrap();

    let out = ask(
        &anthropic,
        "What is the capital of France?",
        &[("E2E_KEY", KEY)],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Paris is the capital of France.\n"
    );
    assert!(
        stderr.contains("via anthropic (key e2e)") && stderr.contains('$'),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY), "the key never reaches the output");

    let out = ask(&bedrock, "Say hi", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "You said: Say hi\n");
    assert!(stderr.contains("via bedrock (key aws)"), "{stderr}");

    let requests = mock.requests().await;
    let apis: Vec<&str> = requests
        .iter()
        .map(|r| r["api"].as_str().unwrap())
        .collect();
    assert_eq!(apis, ["anthropic", "bedrock"]);
    // The router sent a short question to the fast model, by its id on each provider.
    assert_eq!(requests[0]["model"], "claude-haiku-5-5");
    assert_eq!(requests[1]["model"], "global.anthropic.claude-haiku-5-5");
    assert!(
        requests[1]["headers"]["authorization"]
            .as_str()
            .unwrap()
            .starts_with("AWS4-HMA")
    );
}

#[tokio::test]
async fn ask_reports_refusals_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock_with_rules(dir.path()).await;
    let config = dir.path().join("ai.toml");
    std::fs::write(
        &config,
        format!("[ai.anthropic.client]\nbase_url = \"{}\"\n[[ai.anthropic.keys]]\nid = \"bad\"\nkey = \"sk-wrong\"\n", mock.url),
    )
    .unwrap();
    let out = ask(&config, "hello", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("Auth"),
        "the provider's refusal is named: {stderr}"
    );

    mock.script(json!(["overloaded"])).await;
    std::fs::write(
        &config,
        format!("[ai.anthropic.client]\nbase_url = \"{}\"\n[[ai.anthropic.keys]]\nid = \"ok\"\nkey = \"{KEY}\"\n", mock.url),
    )
    .unwrap();
    // Overloaded once: the fast model falls back to the strong one.
    let out = ask(&config, "hello", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("model claude-sonnet-5-5 via anthropic"),
        "{stderr}"
    );
    // Overloaded everywhere: the error says so.
    mock.script(json!(["overloaded", "overloaded"])).await;
    let out = ask(&config, "hello", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("Overloaded"),
        "{stderr}"
    );

    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let out = ask(&empty, "hello", &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("no AI provider"),
        "{stderr}"
    );
}
