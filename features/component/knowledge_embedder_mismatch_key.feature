@component:knowledge_base
Feature: A knowledge base embedded by another model is refused naming embedding_model
  When kb_config.json records another embedding model than the manager's, adding a document
  is refused with the key embedding_model, so a caller knows to run maintenance.

  Scenario: Adding to a knowledge base recorded with another embedder is refused with the key embedding_model
    Given user "alice" exists
    And the "counters" invariant is off because kb_config.json is rewritten behind the store's back
    And I call "kb.create" with:
      """
      user_id: alice
      name: Wind
      """
    And I save "kb_id" as "kb"
    And I call "files.write" with:
      """
      path: users/alice/knowledge_bases/${kb}/kb_config.json
      text: '{"kb_id": "${kb}", "owner_user_id": "alice", "embedding_config": {"model": "other-v1", "dimensions": 8}}'
      """
    When I try to call "kb.add_document" with:
      """
      user_id: alice
      kb_id: ${kb}
      document_path: a.md
      text: Wind turbines spin.
      """
    Then it fails with ValidationError mentioning "is embedded with other-v1/8, this manager uses local-hash-v1/384"
    And the result at "key" equals embedding_model
