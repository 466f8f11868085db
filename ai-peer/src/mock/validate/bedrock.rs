//! The ConverseStream body schema: alternating messages of union content blocks, toolUse and
//! toolResult pairing, system, inferenceConfig, toolConfig and at most four cachePoints.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{
    Checked, array, join, object, only_fields, optional, positive_int, required, string, tool_name,
};

const TOP_FIELDS: &[&str] = &[
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
    "additionalModelResponseFieldPaths",
    "promptVariables",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
    "outputConfig",
];

/// Checks a `POST /model/{id}/converse-stream` body; `Err` is the `ValidationException` message.
pub fn check_body(body: &Value) -> Checked<()> {
    let top = object(body, "")?;
    only_fields(top, "", TOP_FIELDS)?;
    let (mut cache_points, uses_tools) = check_messages(required(top, "", "messages")?)?;
    if let Some(system) = optional(top, "system") {
        for (i, block) in array(system, "system")?.iter().enumerate() {
            let path = join("system", i);
            match union(block, &path)? {
                ("text", text) => non_blank(text, &path)?,
                ("cachePoint", marker) => {
                    check_cache_point(marker, &join(&path, "cachePoint"))?;
                    cache_points += 1;
                }
                ("guardContent", _) => {}
                (other, _) => return Err(format!("{path}: unknown system block {other:?}")),
            }
        }
    }
    let config = object(required(top, "", "inferenceConfig")?, "inferenceConfig")?;
    only_fields(
        config,
        "inferenceConfig",
        &["maxTokens", "temperature", "topP", "stopSequences"],
    )?;
    positive_int(
        required(config, "inferenceConfig", "maxTokens")?,
        "inferenceConfig.maxTokens",
    )?;
    match optional(top, "toolConfig") {
        Some(tool_config) => cache_points += check_tool_config(tool_config)?,
        None if uses_tools => {
            return Err("The toolConfig field must be defined when using toolUse and toolResult content blocks."
                .into());
        }
        None => {}
    }
    if cache_points > 4 {
        return Err(format!(
            "The number of cachePoint blocks ({cache_points}) exceeds the maximum of 4."
        ));
    }
    Ok(())
}

/// The one member of a union object (`{"text": ...}`, `{"toolUse": {...}}`, ...).
fn union<'a>(value: &'a Value, path: &str) -> Checked<(&'a str, &'a Value)> {
    let map = object(value, path)?;
    let mut members = map.iter().filter(|(_, v)| !v.is_null());
    match (members.next(), members.next()) {
        (Some((key, value)), None) => Ok((key.as_str(), value)),
        _ => Err(format!("{path}: exactly one member must be set")),
    }
}

fn non_blank(text: &Value, path: &str) -> Checked<()> {
    if string(text, &join(path, "text"))?.trim().is_empty() {
        return Err(format!(
            "The text field in the ContentBlock object at {path} is blank. \
             Add text to the text field, and try again."
        ));
    }
    Ok(())
}

/// Returns the cachePoints counted and whether tool blocks appear.
fn check_messages(value: &Value) -> Checked<(usize, bool)> {
    let messages = array(value, "messages")?;
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut cache_points = 0;
    let mut uses_tools = false;
    let mut pending: Vec<String> = Vec::new();
    let mut previous_role = "";
    for (i, message) in messages.iter().enumerate() {
        let path = join("messages", i);
        let map = object(message, &path)?;
        only_fields(map, &path, &["role", "content"])?;
        let role = string(required(map, &path, "role")?, &join(&path, "role"))?;
        if role != "user" && role != "assistant" {
            return Err(format!(
                "{path}.role: must be user or assistant, not {role:?}"
            ));
        }
        if i == 0 && role != "user" {
            return Err("A conversation must start with a user message. \
                        Try again with a conversation that starts with a user message."
                .into());
        }
        if role == previous_role {
            return Err(
                "A conversation must alternate between user and assistant roles. Make sure \
                        the conversation alternates between user and assistant roles and try again."
                    .into(),
            );
        }
        previous_role = role;
        let content_path = join(&path, "content");
        let blocks = array(required(map, &path, "content")?, &content_path)?;
        if blocks.is_empty() {
            return Err(format!("{content_path}: must not be empty"));
        }
        let mut tool_uses = Vec::new();
        let mut answered = Vec::new();
        for (j, block) in blocks.iter().enumerate() {
            let path = join(&content_path, j);
            match union(block, &path)? {
                ("text", text) => non_blank(text, &path)?,
                ("cachePoint", marker) => {
                    check_cache_point(marker, &join(&path, "cachePoint"))?;
                    cache_points += 1;
                }
                ("image", image) => {
                    let image = object(image, &join(&path, "image"))?;
                    required(image, &join(&path, "image"), "format")?;
                    required(image, &join(&path, "image"), "source")?;
                }
                ("toolUse", tool_use) if role == "assistant" => {
                    tool_uses.push(check_tool_use(tool_use, &join(&path, "toolUse"))?);
                }
                ("toolResult", result) if role == "user" => {
                    answered.push((j, check_tool_result(result, &join(&path, "toolResult"))?));
                }
                (kind @ ("toolUse" | "toolResult"), _) => {
                    return Err(format!(
                        "{path}: {kind} blocks are not allowed in {role} messages"
                    ));
                }
                (other, _) => {
                    return Err(format!(
                        "{path}: unknown content block {other:?} (claude-mock accepts text, image, toolUse, toolResult, cachePoint)"
                    ));
                }
            }
        }
        uses_tools |= !tool_uses.is_empty() || !answered.is_empty();
        let missing: Vec<&str> = pending
            .iter()
            .map(String::as_str)
            .filter(|id| !answered.iter().any(|(_, a)| a == id))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "Expected toolResult blocks at {content_path} for the following Ids: {}",
                missing.join(", ")
            ));
        }
        if let Some((j, id)) = answered.iter().find(|(_, id)| !pending.contains(id)) {
            return Err(format!(
                "{content_path}.{j}: the toolResult {id} does not answer a toolUse of the previous turn"
            ));
        }
        pending = tool_uses;
    }
    Ok((cache_points, uses_tools))
}

fn check_tool_use(value: &Value, path: &str) -> Checked<String> {
    let map = object(value, path)?;
    only_fields(map, path, &["toolUseId", "name", "input", "type"])?;
    let id = string(required(map, path, "toolUseId")?, &join(path, "toolUseId"))?;
    string(required(map, path, "name")?, &join(path, "name"))?;
    required(map, path, "input")?;
    Ok(id.to_owned())
}

fn check_tool_result(value: &Value, path: &str) -> Checked<String> {
    let map = object(value, path)?;
    only_fields(map, path, &["toolUseId", "content", "status", "type"])?;
    let id = string(required(map, path, "toolUseId")?, &join(path, "toolUseId"))?;
    let content_path = join(path, "content");
    for (k, item) in array(required(map, path, "content")?, &content_path)?
        .iter()
        .enumerate()
    {
        let path = join(&content_path, k);
        match union(item, &path)? {
            ("text", text) => {
                string(text, &join(&path, "text"))?;
            }
            ("json" | "image" | "document", _) => {}
            (other, _) => return Err(format!("{path}: unknown tool result content {other:?}")),
        }
    }
    match optional(map, "status").map(Value::as_str) {
        None | Some(Some("success" | "error")) => Ok(id.to_owned()),
        Some(_) => Err(format!("{path}.status: must be success or error")),
    }
}

fn check_tool_config(value: &Value) -> Checked<usize> {
    let config = object(value, "toolConfig")?;
    only_fields(config, "toolConfig", &["tools", "toolChoice"])?;
    let tools = array(required(config, "toolConfig", "tools")?, "toolConfig.tools")?;
    if tools.is_empty() {
        return Err("toolConfig.tools: at least one tool is required".into());
    }
    let mut cache_points = 0;
    let mut names = HashSet::new();
    for (i, tool) in tools.iter().enumerate() {
        let path = join("toolConfig.tools", i);
        match union(tool, &path)? {
            ("cachePoint", marker) => {
                check_cache_point(marker, &join(&path, "cachePoint"))?;
                cache_points += 1;
            }
            ("toolSpec", spec) => {
                let path = join(&path, "toolSpec");
                let spec = object(spec, &path)?;
                only_fields(
                    spec,
                    &path,
                    &["name", "description", "inputSchema", "strict"],
                )?;
                let name = string(required(spec, &path, "name")?, &join(&path, "name"))?;
                tool_name(name, &join(&path, "name"))?;
                if !names.insert(name) {
                    return Err(format!(
                        "{path}.name: tool names must be unique; {name:?} is repeated"
                    ));
                }
                if let Some(description) = optional(spec, "description") {
                    string(description, &join(&path, "description"))?;
                }
                let schema_path = join(&path, "inputSchema");
                match union(required(spec, &path, "inputSchema")?, &schema_path)? {
                    ("json", schema) => {
                        object(schema, &join(&schema_path, "json"))?;
                    }
                    (other, _) => {
                        return Err(format!("{schema_path}: unknown schema kind {other:?}"));
                    }
                }
            }
            (other, _) => return Err(format!("{path}: unknown tool kind {other:?}")),
        }
    }
    if let Some(choice) = optional(config, "toolChoice") {
        match union(choice, "toolConfig.toolChoice")? {
            ("auto" | "any", _) => {}
            ("tool", tool) => {
                let tool = object(tool, "toolConfig.toolChoice.tool")?;
                string(
                    required(tool, "toolConfig.toolChoice.tool", "name")?,
                    "toolConfig.toolChoice.tool.name",
                )?;
            }
            (other, _) => return Err(format!("toolConfig.toolChoice: unknown choice {other:?}")),
        }
    }
    Ok(cache_points)
}

fn check_cache_point(marker: &Value, path: &str) -> Checked<()> {
    let map: &Map<String, Value> = object(marker, path)?;
    only_fields(map, path, &["type", "ttl"])?;
    match map.get("type").and_then(Value::as_str) {
        Some("default") => Ok(()),
        _ => Err(format!("{path}.type: must be \"default\"")),
    }
}
