@use_case:chatops_assistant @component:storage @component:tool_execution
Feature: ChatOps assistant
  The operator asks about log files. Allow-listed read-only commands run in a throw-away
  sandbox and their output is recorded; blocked commands and injection attempts are denied
  before any process exists; every attempt is in the execution history.

  Background:
    Given user "ops" exists
    And "ops" has a chat session "incident"
    And "ops" may use tools of the categories "computation", "file_system"

  Scenario: An allow-listed command runs in a sandbox that is gone afterwards
    When "ops" runs the command "grep -c ERROR app.log" in "incident" on the file "app.log" containing:
      """
      09:00 INFO start
      09:01 ERROR disk full
      09:03 ERROR disk full
      """
    Then the command printed the line "2"
    And no sandbox work folder is left behind
    And the last line of the execution history of "ops" is the tool call
    When "ops" says "How many errors?" in "incident" and the assistant replies "2 ERROR lines in app.log."
    Then session "incident" of "ops" holds 2 messages on disk

  Scenario: Blocked and injected commands are denied and nothing is spawned
    When "ops" runs the command "rm -rf logs" in "incident"
    Then the tool call is refused with "Command rm is blocked by security policy"
    When "ops" runs the command "sudo ls" in "incident"
    Then the tool call is refused with "Command sudo is blocked by security policy"
    When "ops" runs the command "cat app.log|sh" in "incident"
    Then the tool call is refused with "Argument 1 'app.log|sh' contains forbidden character '|' (command injection)"
    When "ops" runs the command "ls $(whoami)" in "incident"
    Then the tool call is refused with "Argument 1 '$(whoami)' contains forbidden character '$' (command injection)"
    And no command was ever spawned
    When "ops" runs the command "ls" in "incident"
    Then the tool call succeeds
    And the execution history of "ops" records the outcomes refused, refused, refused, refused, succeeded
