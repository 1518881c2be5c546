@component:tool_execution
Feature: Tool execution
  Every user has a registry of tools and a security policy under users/{user}/tools/. A call
  is checked in a fixed order before anything runs; every attempt, refused or not, is one line
  of the execution history; commands run in a throw-away sandbox.

  Background:
    Given user "alice" exists

  Scenario: A refused call has the spec's message, is logged once and spawns nothing
    When "alice" runs the command "ls -la"
    Then the tool call is refused with "Tool category file_system not allowed"
    When "alice" may use tools of the categories "computation", "file_system"
    And "alice" runs the command "cat notes.txt;reboot" on the file "notes.txt" containing:
      """
      hello
      """
    Then the tool call is refused with "Argument 1 'notes.txt;reboot' contains forbidden character ';' (command injection)"
    And the last line of the execution history of "alice" is the tool call
    When "alice" runs the command "cat /etc/passwd"
    Then the tool call is refused with "Path '/etc/passwd' is outside the sandbox directory"
    When "alice" runs the "sandbox_command" tool
    Then the tool call is refused with "Required parameter 'command' missing"
    And the execution history of "alice" records the outcomes refused, refused, refused, refused
    And no command was ever spawned

  Scenario: An allowed command runs in the sandbox and leaves nothing behind
    Given "alice" may use tools of the categories "computation", "file_system"
    When "alice" runs the command "wc -l notes.txt" on the file "notes.txt" containing:
      """
      one
      two
      """
    Then the command printed the line "2 notes.txt"
    And no sandbox work folder is left behind
    And the last line of the execution history of "alice" is the tool call

  Scenario: A tool that requires approval runs once it is approved
    Given the tool policy of "alice" is changed to:
      """
      allowed_categories: [computation, communication]
      require_approval: [notification]
      """
    When "alice" runs the "notification" tool with:
      """
      recipient: ops
      message: deploy finished
      """
    Then the tool call is refused with "Tool notification requires approval before execution (approval request ${tool_call.integration_context.pending_approval_id})"
    When the pending approval of "alice" is approved by "lead"
    And "alice" runs the "notification" tool with:
      """
      recipient: ops
      message: deploy finished
      """
    Then the tool call succeeds
    And the execution history of "alice" records the outcomes refused, succeeded

  Scenario: An identical request comes from the cache and a failed chain step stops the chain
    When "alice" runs the "calculator" tool with:
      """
      expression: 6 * 7
      """
    Then the tool result at "result" is 42
    And its result hash is the first 16 hex digits of the sha256 of its result
    When "alice" runs the "calculator" tool with:
      """
      expression: 6 * 7
      """
    Then the tool call came from the cache
    And the execution history of "alice" holds 2 attempts
    When 1 minutes pass
    And I call "tools.chain" with:
      """
      user_id: alice
      steps:
        - {tool_id: text_utils, parameters: {operation: upper, text: "divide"}}
        - {tool_id: calculator, parameters: {expression: "1 / 0"}}
        - {tool_id: unit_converter, parameters: {value: 1, from_unit: km, to_unit: m}}
      """
    Then the result at "failed_step" equals 2
    And the result at "steps[1].error_type" equals builtin_execution_error
    And the execution history of "alice" records the outcomes succeeded, succeeded, succeeded, failed
