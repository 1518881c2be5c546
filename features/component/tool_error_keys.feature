@component:tool_execution
Feature: Tool errors name the field at fault
  A refusal raised by the tool registry carries the key of the field it is about, so a caller
  can point at the field without parsing the message.

  Background:
    Given user "alice" exists

  Scenario: An unknown tool is refused with the key tool_id and the id as given
    When I try to call "tools.get" with:
      """
      user_id: alice
      tool_id: nope
      """
    Then it fails with NotFound mentioning "Tool nope not found or not available"
    And the result at "key" equals tool_id
    And the result at "value" equals nope

  Scenario: A command tool on a command outside the allowed list is refused with the key command
    When I try to call "tools.register" with:
      """
      user_id: alice
      tool:
        tool_id: sorter
        name: Sorter
        category: file_system
        implementation: {kind: command, command: sort, fixed_args: [x]}
      """
    Then it fails with SecurityError mentioning "Command sort is not in the allowed command list"
    And the result at "key" equals command
    And the result at "value" equals sort

  Scenario: An empty policy change is refused with the key changes
    When I try to call "tools.update_policy" with:
      """
      user_id: alice
      changes: {}
      """
    Then it fails with ValidationError mentioning "policy changes must be a non-empty mapping"
    And the result at "key" equals changes

  Scenario: A schema requiring an undeclared parameter is refused with the key parameters_schema
    When I try to call "tools.register" with:
      """
      user_id: alice
      tool:
        tool_id: odd
        name: Odd
        category: computation
        parameters_schema: {type: object, properties: {text: {type: string}}, required: [text, mood]}
        implementation: {kind: builtin, handler: text_utils}
      """
    Then it fails with ValidationError mentioning "parameters_schema requires undeclared ['mood']"
    And the result at "key" equals parameters_schema

  Scenario: An unknown risk level is refused with the key security_risk_level
    When I try to call "tools.register" with:
      """
      user_id: alice
      tool:
        tool_id: risky
        name: Risky
        category: computation
        security_risk_level: extreme
        implementation: {kind: builtin, handler: text_utils}
      """
    Then it fails with ValidationError mentioning "security_risk_level 'extreme' must be one of low, medium, high, critical"
    And the result at "key" equals security_risk_level
