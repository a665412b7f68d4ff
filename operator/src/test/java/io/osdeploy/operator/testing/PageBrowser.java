package io.osdeploy.operator.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium, headless, driven through its chromium-driver by Selenium: the real browser the
 * live page's tests read the page with. Screenshots go to {@code target/page-screenshots/}, kept
 * with the test reports.
 */
public final class PageBrowser implements AutoCloseable {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  public static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  public static final Path SCREENSHOTS = Path.of("target", "page-screenshots");

  private final ChromeDriverService service;
  private final ChromeDriver driver;

  /** Skips the test (or fails it with {@code CI=true}) where the browser is missing. */
  public static void require() {
    Prerequisites.require(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "chromium and chromium-driver (apt-get install chromium chromium-driver)");
  }

  /** Opens {@code url} in a window {@code width} by {@code height} CSS pixels. */
  public PageBrowser(String url, int width, int height) {
    service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(DRIVER.toFile())
            .usingAnyFreePort()
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=" + width + "," + height);
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    driver.get(url);
  }

  public ChromeDriver driver() {
    return driver;
  }

  /** The text of the first element {@code css} selects, or null when there is none. */
  public String text(String css) {
    List<WebElement> found = driver.findElements(By.cssSelector(css));
    return found.isEmpty() ? null : found.get(0).getText();
  }

  /** Saves what the window shows as {@code name}.png under {@link #SCREENSHOTS}. */
  public Path screenshot(String name) throws IOException {
    Files.createDirectories(SCREENSHOTS);
    Path to = SCREENSHOTS.resolve(name + ".png");
    Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
    Files.move(shot, to, StandardCopyOption.REPLACE_EXISTING);
    System.out.println("live page screenshot: " + to.toAbsolutePath());
    return to;
  }

  /**
   * Saves the whole page, not only the window, as {@code name}.png (Chrome's full-page capture).
   */
  public Path fullPageScreenshot(String name, int width) throws IOException {
    long height =
        ((Number) driver.executeScript("return Math.ceil(document.documentElement.scrollHeight)"))
            .longValue();
    driver
        .manage()
        .window()
        .setSize(new org.openqa.selenium.Dimension(width, (int) Math.min(height + 20, 4000)));
    return screenshot(name);
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }
}
