//! The ConverseStream endpoint: event-stream frames read back with the SDK's codec, and the
//! real `aws-sdk-bedrockruntime` client talking to the mock.

use std::collections::HashMap;

use ai_peer::mock::ScriptedResponse;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{
    BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig,
};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ContentBlockStart, ConversationRole, ConverseStreamOutput,
    InferenceConfiguration, Message, StopReason, Tool, ToolConfiguration, ToolInputSchema,
    ToolSpecification,
};
use aws_smithy_types::Document;
use aws_smithy_types::retry::RetryConfig;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn frames_decode_and_the_model_id_is_percent_decoded() {
    let mock = mock().await;
    mock.push(ScriptedResponse::Scenario("tool_call".into()));
    let encoded = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-haiku-4-5";
    let response = bedrock_request(&mock, encoded, &bedrock_body("edit"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.amazon.eventstream"
    );
    let frames = es_frames(response.bytes().await.expect("body"));
    let kinds: Vec<&str> = frames.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "messageStart",
            "contentBlockStart",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata"
        ]
    );
    assert!(frames.iter().all(|(m, _, _)| m == "event"));
    assert_eq!(frames[1].2["start"]["toolUse"]["name"], "str_replace");
    assert_eq!(frames[9].2, json!({"stopReason": "tool_use"}));
    assert_eq!(frames[10].2["usage"]["outputTokens"], 89);
    let recorded = mock.requests();
    assert_eq!(
        recorded[0].model.as_deref(),
        Some(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5"
        )
    );
    assert_eq!(
        recorded[0].path,
        format!("/model/{encoded}/converse-stream")
    );
}

#[tokio::test]
async fn errors_are_bedrock_shaped() {
    let mock = mock().await;
    mock.push(ScriptedResponse::Scenario("mid_stream_error".into()));
    let response = bedrock_request(&mock, "m", &bedrock_body("hi"))
        .send()
        .await
        .expect("sent");
    let frames = es_frames(response.bytes().await.expect("body"));
    let last = frames.last().expect("frames");
    assert_eq!(
        (last.0.as_str(), last.1.as_str()),
        ("exception", "serviceUnavailableException")
    );
    assert_eq!(last.2, json!({"message": "Overloaded"}));

    let client = reqwest::Client::new();
    let url = format!("{}/model/m/converse-stream", mock.url());
    let unsigned = client
        .post(&url)
        .json(&bedrock_body("hi"))
        .send()
        .await
        .expect("sent");
    assert_eq!(unsigned.status(), 403);
    assert_eq!(
        unsigned.headers()["x-amzn-errortype"],
        "AccessDeniedException"
    );
    let bad = bedrock_request(&mock, "m", &json!({"messages": []}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["x-amzn-errortype"], "ValidationException");
    let body: Value = bad.json().await.expect("JSON");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("messages")),
        "{body}"
    );
}

fn sdk_client(mock: &ai_peer::mock::MockHandle) -> Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(mock.url())
        .retry_config(RetryConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build();
    Client::from_conf(config)
}

fn sdk_call(
    client: &Client,
) -> aws_sdk_bedrockruntime::operation::converse_stream::builders::ConverseStreamFluentBuilder {
    let schema = Document::Object(HashMap::from([(
        "type".to_owned(),
        Document::String("object".into()),
    )]));
    let tool = ToolSpecification::builder()
        .name("str_replace")
        .description("Replaces text")
        .input_schema(ToolInputSchema::Json(schema))
        .build()
        .expect("a tool");
    client
        .converse_stream()
        .model_id("us.anthropic.claude-haiku-4-5-20251001-v1:0")
        .messages(
            Message::builder()
                .role(ConversationRole::User)
                .content(ContentBlock::Text("fix the greeting".into()))
                .build()
                .expect("a message"),
        )
        .inference_config(InferenceConfiguration::builder().max_tokens(256).build())
        .tool_config(
            ToolConfiguration::builder()
                .tools(Tool::ToolSpec(tool))
                .build()
                .expect("a tool config"),
        )
}

#[tokio::test]
async fn the_sdk_client_reads_a_tool_call() {
    let mock = mock().await;
    mock.push(ScriptedResponse::Scenario("tool_call".into()));
    let output = sdk_call(&sdk_client(&mock))
        .send()
        .await
        .expect("the mock accepts the SDK's request");
    let mut stream = output.stream;
    let (mut input, mut started, mut stop, mut usage) = (String::new(), None, None, None);
    while let Some(event) = stream.recv().await.expect("a clean stream") {
        match event {
            ConverseStreamOutput::ContentBlockStart(e) => {
                if let Some(ContentBlockStart::ToolUse(t)) = e.start() {
                    started = Some((
                        e.content_block_index(),
                        t.tool_use_id().to_owned(),
                        t.name().to_owned(),
                    ));
                }
            }
            ConverseStreamOutput::ContentBlockDelta(e) => {
                if let Some(ContentBlockDelta::ToolUse(t)) = e.delta() {
                    input.push_str(t.input());
                }
            }
            ConverseStreamOutput::MessageStop(e) => stop = Some(e.stop_reason().clone()),
            ConverseStreamOutput::Metadata(e) => usage = e.usage().cloned(),
            _ => {}
        }
    }
    assert_eq!(
        started,
        Some((
            0,
            "toolu_01T1x1fJ34qAmk2tNTrN7Up6".to_owned(),
            "str_replace".to_owned()
        ))
    );
    let input: Value = serde_json::from_str(&input).expect("the fragments join to JSON");
    assert_eq!(input["path"], "notes/café.md");
    assert_eq!(stop, Some(StopReason::ToolUse));
    let usage = usage.expect("metadata usage");
    assert_eq!(
        (
            usage.input_tokens(),
            usage.output_tokens(),
            usage.total_tokens()
        ),
        (472, 89, 561)
    );
    let recorded = &mock.requests()[0];
    assert!(
        recorded.headers["authorization"].starts_with("AWS4-HMA"),
        "masked to 8 characters"
    );
    assert_eq!(recorded.headers["authorization"].len(), 8);
    assert_eq!(
        recorded.body["toolConfig"]["tools"][0]["toolSpec"]["name"],
        "str_replace"
    );
}

#[tokio::test]
async fn the_sdk_client_sees_unknown_events_exceptions_and_http_errors() {
    let mock = mock().await;
    let client = sdk_client(&mock);

    mock.push(ScriptedResponse::Scenario("unknown_events".into()));
    let mut stream = sdk_call(&client).send().await.expect("sent").stream;
    let (mut text, mut unknown, mut citations) = (String::new(), 0, 0);
    while let Some(event) = stream
        .recv()
        .await
        .expect("unknown events do not break the stream")
    {
        match event {
            ConverseStreamOutput::ContentBlockDelta(e) => match e.delta() {
                Some(ContentBlockDelta::Text(t)) => text.push_str(t),
                Some(ContentBlockDelta::Citation(_)) => citations += 1,
                Some(d) if d.is_unknown() => unknown += 1,
                _ => {}
            },
            e if e.is_unknown() => unknown += 1,
            _ => {}
        }
    }
    assert_eq!(text, "According to the notes, the sky is blue.");
    assert_eq!(
        (citations, unknown),
        (1, 2),
        "a citation, an unknown delta and an unknown event"
    );

    mock.push(ScriptedResponse::Scenario("mid_stream_error".into()));
    let mut stream = sdk_call(&client).send().await.expect("sent").stream;
    let error = loop {
        match stream.recv().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream must end with an exception"),
            Err(e) => break e.into_service_error(),
        }
    };
    assert!(error.is_service_unavailable_exception(), "{error:?}");

    mock.push(ScriptedResponse::Scenario("rate_limited".into()));
    mock.push(ScriptedResponse::Scenario("overloaded".into()));
    let throttled = sdk_call(&client)
        .send()
        .await
        .expect_err("429")
        .into_service_error();
    assert!(throttled.is_throttling_exception(), "{throttled:?}");
    let unavailable = sdk_call(&client)
        .send()
        .await
        .expect_err("503")
        .into_service_error();
    assert!(
        unavailable.is_service_unavailable_exception(),
        "{unavailable:?}"
    );
}
