@component:storage
Feature: Store keys, statistics and batch commits
  Gherkin twin of parts of scenarios/component/encryption_at_rest.yaml, session_statistics.yaml
  and batch_durability.yaml: a key kept in a key file is rotated away, session statistics are
  exact, and a batch write is committed by the group committer's timer alone.

  @severity:critical
  Scenario: A rotation to a key from a key file re-seals the store and the old key alone fails
    Given the store is configured with:
      """
      storage:
        encryption:
          enabled: true
          active_key_id: k1
          keys: {k1: "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
      """
    And user "alice" exists
    And "alice" has a chat session "vault"
    When "alice" says "the code is 4471" in "vault" and the assistant replies "noted"
    And I call "store.key_file" with:
      """
      name: k2.key
      text: "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=\n"
      """
    And I save "@" as "k2file"
    And I call "store.rotate_key" with:
      """
      key_id: k2
      key: file:${k2file}
      """
    Then the result at "@" equals 3
    When I call "files.grep" with:
      """
      path: users
      text: '"kid":"k1"'
      """
    Then the result at "length(@)" equals 0
    When I call "store.reopen" with:
      """
      active_key_id: k2
      keys: {k2: "file:${k2file}"}
      """
    And I call "messages.list" with:
      """
      user_id: alice
      session_id: ${vault}
      """
    Then the result at "[*].content" equals ["the code is 4471", "noted"]
    When I call "store.reopen" with:
      """
      active_key_id: k1
      keys: {k1: "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
      """
    And I try to call "messages.list" with:
      """
      user_id: alice
      session_id: ${vault}
      """
    Then it fails with SecurityError mentioning "sealed with unknown key id 'k2'"

  Scenario: Session statistics count roles, times and documents exactly
    Given user "alice" exists
    And "alice" has a chat session "stats"
    When I call "session.stats" with:
      """
      user_id: alice
      session_id: ${stats}
      """
    Then the result at "[message_count, stored_message_count, document_count]" equals [0, 0, 0]
    And the result at "first_message_at" is null
    When "alice" says "Hello" in "stats" and the assistant replies "Hi"
    And 30 minutes pass
    And "alice" says "Bye" in "stats" and the assistant replies "Bye"
    And I call "session.stats" with:
      """
      user_id: alice
      session_id: ${stats}
      """
    Then the result at "messages_by_role" equals {user: 2, assistant: 2}
    And the result at "[message_count, stored_message_count]" equals [4, 4]
    And the result at "first_message_at" equals "2026-01-01T09:00:00.000000+00:00"
    And the result at "last_message_at" equals "2026-01-01T09:30:00.000000+00:00"
    When I try to call "session.stats" with:
      """
      user_id: alice
      session_id: missing
      """
    Then it fails with NotFound mentioning "session 'missing' of user 'alice' not found"

  Scenario: A batch write is committed by the timer, with no further write
    Given the store is configured with:
      """
      storage: {durability: batch, group_commit_interval_ms: 2000}
      """
    And user "alice" exists
    When I call "store.pending_commits" with:
      """
      wait_ms: 15000
      """
    Then the result at "length(@)" equals 0

  Scenario: A batch write stays pending until its interval (or a flush), however long it waits
    Given the store is configured with:
      """
      storage: {durability: batch, group_commit_interval_ms: 20000}
      """
    And user "alice" exists
    When I call "store.pending_commits" with:
      """
      wait_ms: 2500
      """
    Then the result at "@" equals ["users/alice/profile.json"]
    When I call "store.flush"
    And I call "store.pending_commits"
    Then the result at "length(@)" equals 0
