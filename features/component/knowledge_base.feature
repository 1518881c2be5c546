@component:knowledge_base
Feature: Knowledge bases
  Documents indexed per user, retrieved by meaning and keywords, shared only on purpose.

  Scenario: The right document answers a question
    Given user "alice" exists
    And "alice" has a knowledge base "energy" with "solar.md" saying "Solar panels turn sunlight into electricity. Their output drops in winter when days are short."
    And "alice" adds "wind.md" saying "Wind turbines turn moving air into electricity. Offshore farms see steadier winds." to "energy"
    When "alice" asks "which farms see steadier winds?"
    Then the first context comes from "wind.md"
    And the vectors of "energy" of "alice" stay aligned with 2 chunks

  Scenario: A deleted document is gone everywhere and the vectors stay aligned
    Given user "alice" exists
    And "alice" has a knowledge base "energy" with "solar.md" saying "Solar panels turn sunlight into electricity. Their output drops in winter when days are short."
    And "alice" adds "wind.md" saying "Wind turbines turn moving air into electricity. Offshore farms see steadier winds." to "energy"
    When "alice" deletes "solar.md" from "energy"
    Then the vectors of "energy" of "alice" stay aligned with 1 chunk
    When "alice" asks "why does solar output drop in winter?"
    Then no context comes from "solar.md"

  Scenario: Another user's knowledge base is readable only when shared with them
    Given user "alice" exists
    And user "bob" exists
    And user "carol" exists
    And "alice" has a knowledge base "energy" with "wind.md" saying "Wind turbines turn moving air into electricity. Offshore farms see steadier winds."
    When "bob" tries to ask "which farms see steadier winds?" in "energy"
    Then it fails with SecurityError mentioning "not shared with this user"
    When "alice" shares "energy" with "bob"
    And "bob" asks "which farms see steadier winds?" in "energy"
    Then the first context comes from "wind.md"
    When "carol" tries to ask "which farms see steadier winds?" in "energy"
    Then it fails with SecurityError mentioning "user 'carol' may not retrieve"
