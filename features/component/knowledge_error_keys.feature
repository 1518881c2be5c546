@component:knowledge_base
Feature: Knowledge-base errors name the field at fault
  A refusal by a knowledge base or a RAG session carries the key of the field it is about,
  so a caller can point at the field without parsing the message.

  Background:
    Given user "alice" exists
    And I call "kb.create" with:
      """
      user_id: alice
      name: Wind
      """
    And I save "kb_id" as "kb"

  Scenario: The same content twice is refused with the key document_content
    When I call "kb.add_document" with:
      """
      user_id: alice
      kb_id: ${kb}
      document_path: a.md
      text: Wind turbines spin.
      """
    And I try to call "kb.add_document" with:
      """
      user_id: alice
      kb_id: ${kb}
      document_path: b.md
      text: Wind turbines spin.
      """
    Then it fails with AlreadyExists mentioning "already holds this content"
    And the result at "key" equals document_content

  Scenario: Empty content is refused with the key content
    When I try to call "kb.add_document" with:
      """
      user_id: alice
      kb_id: ${kb}
      document_path: a.md
      text: "   "
      """
    Then it fails with ValidationError mentioning "document content is empty; nothing to index"
    And the result at "key" equals content

  Scenario: Usage of a message without contexts is refused with the key message_id
    When I call "rag.init" with:
      """
      user_id: alice
      session_id: r1
      kb_ids: ["${kb}"]
      """
    And I try to call "rag.track_usage" with:
      """
      user_id: alice
      session_id: r1
      message_id: m9
      used_contexts: []
      """
    Then it fails with NotFound mentioning "message 'm9' has no contexts in RAG session 'r1'"
    And the result at "key" equals message_id
    And the result at "value" equals m9

  Scenario: A malformed knowledge base id is refused with the key kb_id
    When I try to call "kb.get" with:
      """
      user_id: alice
      kb_id: kb_NOPE
      """
    Then it fails with ValidationError mentioning "invalid kb_id 'kb_NOPE': expected kb_ followed by 12 lowercase hex digits"
    And the result at "key" equals kb_id
    And the result at "value" equals kb_NOPE
