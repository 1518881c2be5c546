@use_case:rag_chat @component:storage @component:knowledge_base
Feature: RAG chat
  Answers are grounded in the user's knowledge base, one stored context file per message.

  Background:
    Given user "ria" exists
    And "ria" has a chat session "energy"
    And "ria" has a knowledge base "notes" with "solar.md" saying "Solar panels facing south collect the most light."
    And "ria" adds "wind.md" saying "Offshore wind farms produce more because the wind is steadier." to "notes"

  Scenario: A question retrieves the right document and stores its context
    When I call "rag.init" with:
      """
      user_id: ria
      session_id: ${energy}
      kb_ids: ["${notes}"]
      """
    And "ria" says "Which way should solar panels face?" in "energy" and the assistant replies "South."
    And I call "messages.list" with:
      """
      user_id: ria
      session_id: ${energy}
      """
    And I save "[0].message_id" as "m1"
    And I call "rag.context" with:
      """
      user_id: ria
      session_id: ${energy}
      message: Which way should solar panels face?
      message_id: ${m1}
      """
    Then the result at "[0].document_title" equals solar.md
    And the result at "length(@)" is at most 3
    When I call "files.read_json" with:
      """
      path: users/ria/rag_sessions/${energy}/rag_context/msg_${m1}_context.json
      """
    Then the result at "contexts[0].kb_id" equals ${notes}
    And the vectors of "notes" of "ria" stay aligned with 2 chunks

  Scenario: Another user cannot read the knowledge base
    Given user "mallory" exists
    When "mallory" tries to ask "solar panels" in "notes"
    Then it fails with SecurityError
