@security
Feature: Data protection: encryption at rest, pseudonymised analytics, consent, retention
  Gherkin twin of scenarios/security/data_encryption.yaml, data_anonymization.yaml,
  privacy_controls.yaml and data_retention.yaml.

  @seed_flag:test_data_encryption @asvs:11.3.3 @severity:critical
  Scenario: A ciphertext moved into another user's file fails authentication
    Given the store is configured with:
      """
      storage:
        encryption:
          enabled: true
          active_key_id: k1
          keys: {k1: "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
      """
    And user "alice" exists
    And user "mallory" exists
    And "alice" has a chat session "private"
    And "mallory" has a chat session "mine"
    When "alice" says "my secret plan" in "private" and the assistant replies "noted"
    And "mallory" says "hello" in "mine" and the assistant replies "hi"
    And I call "files.grep" with:
      """
      path: users
      text: my secret plan
      """
    Then the result at "length(@)" equals 0
    When I call "files.copy" with:
      """
      source: users/alice/${private}/messages.jsonl
      path: users/mallory/${mine}/messages.jsonl
      """
    And I try to call "messages.list" with:
      """
      user_id: mallory
      session_id: ${mine}
      """
    Then it fails with StorageCorrupted mentioning "authentication failed"

  @seed_flag:test_data_anonymization @asvs:14.2.6 @severity:critical
  Scenario: Analytics hold pseudonyms, never the raw user id
    Given user "alice" exists
    And the analytics system is initialised
    When I call "analytics.record_event" with:
      """
      user_id: alice
      session_id: alice_s1
      event_type: session_start
      event_data: {note: "alice says <script>alert(1)</script>", email: alice@example.com}
      """
    Then no analytics file mentions "alice"

  @seed_flag:test_privacy_controls @asvs:14.2.8 @severity:critical
  Scenario: An opted-out user's events are not recorded
    Given user "bob" exists
    And the analytics system is initialised
    When I call "analytics.consent" with:
      """
      user_id: bob
      consented: false
      """
    And I call "analytics.record_event" with:
      """
      user_id: bob
      session_id: bob_s1
      event_type: session_start
      """
    Then the result at "@" equals false
    And no analytics file mentions "bob"

  @seed_flag:test_data_retention @asvs:14.2.7 @severity:normal
  Scenario: Analytics past their retention are removed
    Given user "alice" exists
    And the analytics system is initialised
    When I call "analytics.record_event" with:
      """
      user_id: alice
      session_id: s1
      event_type: session_start
      """
    And 31 days pass
    And I call "analytics.retention"
    Then the result at "@" equals {analytics/user_analytics/session_analytics.jsonl: 1}
