//! Our `Request` as ConverseStream input: messages, system, inference and tool configuration
//! in the SDK's types. Pure; `open` hands the result to the fluent builder.

use aws_sdk_bedrockruntime::error::BuildError;
use aws_sdk_bedrockruntime::types::{
    CachePointBlock, CachePointType, ContentBlock, ConversationRole, InferenceConfiguration,
    Message, SystemContentBlock, Tool, ToolConfiguration, ToolInputSchema, ToolResultBlock,
    ToolResultContentBlock, ToolResultStatus, ToolSpecification, ToolUseBlock,
};

use super::document::to_document;
use crate::{AiError, Block, Request, Role, SystemBlock};

/// Bedrock, like the Anthropic API, accepts at most this many cache points per request.
pub(crate) const MAX_CACHE_POINTS: usize = 4;

/// The parts of a ConverseStream call that come from the request (the model id comes apart).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConverseInput {
    pub messages: Vec<Message>,
    /// `None` when the request has no system prompt (Bedrock rejects an empty list).
    pub system: Option<Vec<SystemContentBlock>>,
    pub inference: InferenceConfiguration,
    /// `None` when the request offers no tools.
    pub tools: Option<ToolConfiguration>,
}

/// Translates `request`, refusing what Bedrock would refuse anyway (too many cache points).
pub(crate) fn to_converse(request: &Request) -> Result<ConverseInput, AiError> {
    let points = request.cache_points();
    if points > MAX_CACHE_POINTS {
        return Err(AiError::Invalid(format!(
            "{points} cache points; Bedrock allows at most {MAX_CACHE_POINTS}"
        )));
    }
    let messages = request
        .messages
        .iter()
        .map(message)
        .collect::<Result<Vec<_>, _>>()?;
    let system = request
        .system
        .iter()
        .map(|block| match block {
            SystemBlock::Text(text) => Ok(SystemContentBlock::Text(text.clone())),
            SystemBlock::CachePoint => cache_point().map(SystemContentBlock::CachePoint),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let max_tokens = i32::try_from(request.max_tokens).map_err(|_| {
        AiError::Invalid(format!("max_tokens {} is out of range", request.max_tokens))
    })?;
    let inference = InferenceConfiguration::builder()
        .max_tokens(max_tokens)
        .set_temperature(request.temperature)
        .set_stop_sequences(
            (!request.stop_sequences.is_empty()).then(|| request.stop_sequences.clone()),
        )
        .build();
    Ok(ConverseInput {
        messages,
        system: (!system.is_empty()).then_some(system),
        inference,
        tools: tool_config(request)?,
    })
}

fn message(message: &crate::Message) -> Result<Message, AiError> {
    let role = match message.role {
        Role::User => ConversationRole::User,
        Role::Assistant => ConversationRole::Assistant,
    };
    let content = message
        .content
        .iter()
        .map(content_block)
        .collect::<Result<Vec<_>, _>>()?;
    Message::builder()
        .role(role)
        .set_content(Some(content))
        .build()
        .map_err(invalid)
}

fn content_block(block: &Block) -> Result<ContentBlock, AiError> {
    Ok(match block {
        Block::Text(text) => ContentBlock::Text(text.clone()),
        Block::ToolUse { id, name, input } => ContentBlock::ToolUse(
            ToolUseBlock::builder()
                .tool_use_id(id)
                .name(name)
                .input(to_document(input))
                .build()
                .map_err(invalid)?,
        ),
        Block::ToolResult {
            tool_use_id,
            content,
            is_error,
        } => ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id(tool_use_id)
                .content(ToolResultContentBlock::Text(content.clone()))
                .status(if *is_error {
                    ToolResultStatus::Error
                } else {
                    ToolResultStatus::Success
                })
                .build()
                .map_err(invalid)?,
        ),
        Block::CachePoint => ContentBlock::CachePoint(cache_point()?),
    })
}

fn tool_config(request: &Request) -> Result<Option<ToolConfiguration>, AiError> {
    if request.tools.is_empty() {
        return Ok(None);
    }
    let mut tools = request
        .tools
        .iter()
        .map(|tool| {
            ToolSpecification::builder()
                .name(&tool.name)
                .set_description((!tool.description.is_empty()).then(|| tool.description.clone()))
                .input_schema(ToolInputSchema::Json(to_document(&tool.input_schema)))
                .build()
                .map(Tool::ToolSpec)
                .map_err(invalid)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if request.cache_tools {
        tools.push(Tool::CachePoint(cache_point()?));
    }
    ToolConfiguration::builder()
        .set_tools(Some(tools))
        .build()
        .map(Some)
        .map_err(invalid)
}

fn cache_point() -> Result<CachePointBlock, AiError> {
    CachePointBlock::builder()
        .r#type(CachePointType::Default)
        .build()
        .map_err(invalid)
}

fn invalid(err: BuildError) -> AiError {
    AiError::Invalid(format!("bedrock request: {err}"))
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
