@security @seed_flag:test_input_sanitization
Feature: Hostile input is refused or kept verbatim, never a path outside the store
  Gherkin twin of scenarios/security/input_sanitization.yaml, sql_injection.yaml,
  xss_prevention.yaml and command_injection.yaml: a few payloads per corpus, each run in an
  attack world (victim with a secret, canary beside the store root, oracles after each step).

  @asvs:5.3.2 @asvs:2.2.1 @severity:critical
  Scenario Outline: A hostile user id is refused with a domain error
    Given an attack world with the path_traversal payload "<payload>"
    When I try to call "user.create" with:
      """
      user_id: ${payload}
      """
    Then the payload was refused with a domain error

    Examples:
      | payload                             |
      | ../../../etc/passwd                 |
      | /%2e%2e/%2e%2e/%2e%2e/etc/passwd    |
      | /..%c0%af..%c0%af..%c0%afetc/passwd |
      | ..\\..\\..\\etc\\passwd             |

  @seed_flag:test_sql_injection @seed_flag:test_xss_prevention @asvs:1.2.4 @asvs:1.2.1 @severity:critical
  Scenario Outline: Injection text is stored and read back byte-identical
    Given an attack world with the <corpus> payload "<payload>"
    And user "mallory" exists
    And "mallory" has a chat session "notes"
    When I call "message.add" with:
      """
      user_id: mallory
      session_id: ${notes}
      role: user
      content: ${payload}
      """
    And I save "message_id" as "m"
    And I call "message.get" with:
      """
      user_id: mallory
      session_id: ${notes}
      message_id: ${m}
      """
    Then the result at "content" equals "<payload>"

    Examples:
      | corpus          | payload                         |
      | sql_injection   | admin' or '1'='1'--             |
      | nosql_injection | {$gt: ''}                       |
      | xss             | <img src=x onerror=alert(1)>    |

  @seed_flag:test_command_injection @asvs:1.2.5 @severity:blocker
  Scenario Outline: A shell metacharacter in a command argument is refused by the command policy
    Given an attack world with the command_injection payload "<payload>"
    And user "mallory" exists
    When I call "tools.update_policy" with:
      """
      user_id: mallory
      changes: {allowed_categories: [computation, file_system]}
      """
    And I call "tools.execute" with:
      """
      user_id: mallory
      tool_id: sandbox_command
      include_debug_info: true
      parameters: {command: cat, args: ["${payload}"]}
      """
    Then the result at "success" equals false
    And the result at "denial_reason" equals command_policy

    Examples:
      | payload   |
      | ;id       |
      | \|id      |
      | `id`      |
      | $(id)     |
