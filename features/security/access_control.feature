@security
Feature: Identity, sessions and authorization boundaries
  Gherkin twin of scenarios/security/authentication.yaml, session_management.yaml,
  authorization.yaml, user_isolation.yaml, permission_boundaries.yaml and
  privilege_escalation.yaml. The store has no login: identity is the user id it is handed.

  @seed_flag:test_authentication @asvs:6.3.2 @severity:critical
  Scenario: A fresh store has no default account and an identity cannot be taken over
    When I call "user.list"
    Then the result at "length(@)" equals 0
    Given user "alice" exists
    When I try to call "user.create" with:
      """
      user_id: alice
      username: Mallory
      """
    Then it fails with AlreadyExists

  @seed_flag:test_session_management @seed_flag:test_authorization @asvs:7.2.1 @asvs:8.2.2 @severity:blocker
  Scenario: Another user holding a session id gets a refusal, never the data
    Given an attack world with the sql_injection payload "' or 1=1--"
    And user "mallory" exists
    When I try to call "messages.list" with:
      """
      user_id: mallory
      session_id: ${victim_session}
      """
    Then the payload was refused with a domain error
    When I try to call "message.add" with:
      """
      user_id: mallory
      session_id: ${victim_session}
      role: user
      content: ${payload}
      """
    Then it fails with NotFound

  @seed_flag:test_user_isolation @asvs:8.2.2 @severity:blocker
  Scenario Outline: A hostile search finds nothing of another user
    Given an attack world with the nosql_injection payload "<payload>"
    And user "mallory" exists
    When I call "messages.search" with:
      """
      user_id: mallory
      query: ${payload}
      """
    Then the result at "length(@)" equals 0

    Examples:
      | payload       |
      | {$ne: 1}      |
      | ' \|\| 'a'=='a |
      | secret        |

  @seed_flag:test_permission_boundaries @asvs:5.3.2 @severity:blocker
  Scenario: A write never follows a symlink planted in the store out of the root
    Given an attack world with the xss payload "<script>alert(1)</script>"
    And user "mallory" exists
    And "mallory" has a chat session "notes"
    When I call "files.symlink" with:
      """
      path: users/mallory/${notes}/messages.jsonl
      target: ${canary}
      """
    And I try to call "message.add" with:
      """
      user_id: mallory
      session_id: ${notes}
      role: user
      content: ${payload}
      """
    Then the payload was refused with a domain error

  @seed_flag:test_privilege_escalation @asvs:8.2.1 @asvs:8.3.1 @severity:blocker
  Scenario: A user cannot act as another or widen the command allowlist
    Given user "mallory" exists
    And user "victim" exists
    When I try to call "tools.execute" with:
      """
      user_id: mallory
      tool_id: calculator
      parameters: {expression: "1"}
      request_user_id: victim
      """
    Then it fails with SecurityError
    When I try to call "tools.update_policy" with:
      """
      user_id: mallory
      changes: {allowed_commands: [sh, curl]}
      """
    Then it fails with ValidationError
