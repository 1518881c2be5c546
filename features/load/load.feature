@load
Feature: Load runs in Gherkin, on the same engine as the YAML load files
  A load step runs a functional scenario as iterations under an open or closed model (the
  load.run action); the sentences after it judge the result.

  Scenario: chats at a steady rate meet their thresholds
    When 20 chats per second run for 2 seconds with the thresholds:
      """
      iterations: ["p(95)<1000", "rate>=1"]
      "action:chat.turn": ["p(99)<500"]
      """
    Then the load meets its thresholds
    And the load p95 is below 1000 ms
    And the load p99 of "action:chat.turn" is below 500 ms
    And the load success rate is at least 1
    And no load arrival was dropped

  Scenario: a threshold no store can meet is reported as breached
    When 10 chats per second run for 1 second with the thresholds:
      """
      iterations: ["p(95)<0.001"]
      """
    Then the load breaches its thresholds

  Scenario: a closed model loops users through a scenario
    When 2 users loop "a three-turn conversation is stored exactly" for 1 second
    Then the load meets its thresholds
    And the load success rate is at least 1
