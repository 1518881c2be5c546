@component:knowledge_base
Feature: Retrieval, formatting and memory refusals name the field at fault
  A refusal carries the key of the field it is about, so a caller can point at the field
  without parsing the message.

  Background:
    Given user "alice" exists
    And I call "kb.create" with:
      """
      user_id: alice
      name: Wind
      """
    And I save "kb_id" as "kb"

  Scenario: A blank query is refused with the key query
    When I try to call "kb.retrieve" with:
      """
      user_id: alice
      query: "   "
      """
    Then it fails with ValidationError mentioning "query must be a non-empty string"
    And the result at "key" equals query

  Scenario: A non-positive max_results is refused with the key max_results
    When I try to call "kb.retrieve" with:
      """
      user_id: alice
      query: wind
      max_results: 0
      """
    Then it fails with ValidationError mentioning "max_results must be a positive integer"
    And the result at "key" equals max_results

  Scenario: A min_relevance above 1 is refused with the key min_relevance
    When I try to call "kb.retrieve" with:
      """
      user_id: alice
      query: wind
      min_relevance: 1.5
      """
    Then it fails with ValidationError mentioning "min_relevance must be within [0, 1]"
    And the result at "key" equals min_relevance

  Scenario: A memory search with max_results 0 is refused with the key max_results
    When I try to call "memory.search" with:
      """
      user_id: alice
      query: wind
      max_results: 0
      """
    Then it fails with ValidationError mentioning "max_results must be a positive integer, got 0"
    And the result at "key" equals max_results

  Scenario: A memory with a bad session id is refused with the key session_id
    When I try to call "memory.add" with:
      """
      user_id: alice
      content: wind
      session_id: "../x"
      """
    Then it fails with ValidationError
    And the result at "key" equals session_id

  Scenario: An unknown context visibility is refused with the key context_visibility
    When I try to call "rag.format" with:
      """
      contexts: []
      visibility: loud
      """
    Then it fails with ValidationError mentioning "unknown context_visibility 'loud'"
    And the result at "key" equals context_visibility

  Scenario: A context whose metadata has a key that is not text is refused with the dotted key
    When I try to call "rag.format" with:
      """
      contexts:
        - context_id: c1
          kb_id: kb_000000000001
          document_id: d1
          chunk_id: d1_00000
          content: Wind turbines spin.
          title: Wind
          document_title: Wind
          relevance_score: 0.9
          retrieval_method: keyword_matching
          query_used: wind
          chunk_index: 0
          total_chunks: 1
          char_start: 0
          char_end: 19
          source_path: wind.md
          last_updated: "2026-01-01T09:00:00+00:00"
          metadata: {1: x}
      """
    Then it fails with ValidationError mentioning "invalid contexts[0]: metadata.1.[key]"
    And the result at "key" equals metadata.1.[key]
