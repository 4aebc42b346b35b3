/* test-ui-compare.c: the Compare Images page on generated renders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "qs-compare-page.h"
#include "ui-test-utils.h"

#define WIDTH  1280
#define HEIGHT 800

#define IMAGE_WIDTH  160
#define IMAGE_HEIGHT 120

typedef struct
{
  char *root;
  char *baseline;
  char *quantized;
} Renders;

/* Writes a smooth colour pattern. @noise adds a deterministic error of up
 * to ±@noise per sample, and @block inverts a square in the middle. */
static void
write_png (const char *path,
           guint       width,
           guint       height,
           guint       noise,
           gboolean    block)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  guint32 state = 12345;

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      {
        guint8 *p = pixels + y * rowstride + x * 3;
        int values[3] = { (int) (x * 255 / width), (int) (y * 255 / height),
                          (int) (((x / 16 + y / 16) % 2) * 160 + 40) };

        for (guint c = 0; c < 3; c++)
          {
            int value = values[c];

            if (noise > 0)
              {
                state = state * 1103515245 + 12345;
                value += (int) ((state >> 16) % (2 * noise + 1)) - (int) noise;
              }
            if (block && x > width / 3 && x < 2 * width / 3 && y > height / 3 && y < 2 * height / 3)
              value = 255 - value;
            p[c] = (guint8) CLAMP (value, 0, 255);
          }
      }

  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);
}

static void
write_render (const char *folder,
              const char *name,
              guint       width,
              guint       height,
              guint       noise,
              gboolean    block)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);

  write_png (path, width, height, noise, block);
}

/* a.png is identical, b.png slightly noisy, c.png has a wrong block,
 * d.png differs in size, and one file on each side has no partner. */
static void
renders_init (Renders *renders)
{
  g_autoptr(GError) error = NULL;

  renders->root = g_dir_make_tmp ("qs-ui-compare-XXXXXX", &error);
  g_assert_no_error (error);
  renders->baseline = g_build_filename (renders->root, "baseline", NULL);
  renders->quantized = g_build_filename (renders->root, "quantized", NULL);
  g_assert_cmpint (g_mkdir (renders->baseline, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (renders->quantized, 0755), ==, 0);

  write_render (renders->baseline, "a.png", IMAGE_WIDTH, IMAGE_HEIGHT, 0, FALSE);
  write_render (renders->quantized, "a.png", IMAGE_WIDTH, IMAGE_HEIGHT, 0, FALSE);
  write_render (renders->baseline, "b.png", IMAGE_WIDTH, IMAGE_HEIGHT, 0, FALSE);
  write_render (renders->quantized, "b.png", IMAGE_WIDTH, IMAGE_HEIGHT, 6, FALSE);
  write_render (renders->baseline, "c.png", IMAGE_WIDTH, IMAGE_HEIGHT, 0, FALSE);
  write_render (renders->quantized, "c.png", IMAGE_WIDTH, IMAGE_HEIGHT, 2, TRUE);
  write_render (renders->baseline, "d.png", IMAGE_WIDTH, IMAGE_HEIGHT, 0, FALSE);
  write_render (renders->quantized, "d.png", IMAGE_WIDTH / 2, IMAGE_HEIGHT / 2, 0, FALSE);
  write_render (renders->baseline, "only-baseline.png", IMAGE_WIDTH, IMAGE_HEIGHT, 0, FALSE);
  write_render (renders->quantized, "only-quantized.png", IMAGE_WIDTH, IMAGE_HEIGHT, 0, FALSE);
}

static void
renders_clear (Renders *renders)
{
  ui_test_remove_tree (renders->root);
  g_free (renders->root);
  g_free (renders->baseline);
  g_free (renders->quantized);
}

static QsComparePage *
find_compare_page (GtkWidget *widget)
{
  if (QS_IS_COMPARE_PAGE (widget))
    return QS_COMPARE_PAGE (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      QsComparePage *page = find_compare_page (child);

      if (page != NULL)
        return page;
    }

  return NULL;
}

static gboolean
compare_done_cb (gpointer user_data)
{
  return !qs_compare_page_get_busy (user_data);
}

static gboolean
heatmap_shown_cb (gpointer user_data)
{
  return qs_compare_page_has_heatmap (user_data);
}

static QsComparePage *
compare (QsWindow      *window,
         const Renders *renders)
{
  QsComparePage *page = find_compare_page (GTK_WIDGET (window));

  g_assert_nonnull (page);
  ui_test_activate (window, "compare-images-paths",
                    g_variant_new ("(ss)", renders->baseline, renders->quantized));
  ui_test_spin (50);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));
  g_assert_true (ui_test_wait_until (compare_done_cb, page, 30));
  g_assert_true (ui_test_wait_until (heatmap_shown_cb, page, 30));

  return page;
}

static gboolean
list_contains (GListModel *strings,
               const char *needle)
{
  for (guint i = 0; i < g_list_model_get_n_items (strings); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (strings, i);

      if (strstr (gtk_string_object_get_string (item), needle) != NULL)
        return TRUE;
    }

  return FALSE;
}

static void
test_compare_folders (void)
{
  g_autoptr(QsApplication) app = NULL;
  g_autofree char *csv_path = NULL;
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  QsWindow *window = NULL;
  QsComparePage *page;
  GListModel *pairs;
  GListModel *unmatched;
  Renders renders;
  double previous_ssim = -1;

  renders_init (&renders);
  app = ui_test_app_new (&window);
  /* The page stack cross-fades, which keeps both pages visible for a while. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_assert_true (ui_test_action_enabled (window, "compare-images"));

  page = compare (window, &renders);
  pairs = qs_compare_page_get_pairs (page);
  unmatched = qs_compare_page_get_unmatched (page);

  /* a, b and c have metrics, sorted by SSIM from the lowest. */
  g_assert_cmpuint (g_list_model_get_n_items (pairs), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      static const char *expected[] = { "c.png", "b.png", "a.png" };
      g_autoptr(QsComparePair) pair = g_list_model_get_item (pairs, i);
      const QsImageMetrics *metrics = qs_compare_pair_get_metrics (pair);

      g_assert_cmpstr (qs_compare_pair_get_name (pair), ==, expected[i]);
      g_assert_nonnull (metrics);
      g_assert_cmpfloat (metrics->ssim, >=, previous_ssim);
      previous_ssim = metrics->ssim;
    }
  g_assert_cmpfloat (previous_ssim, ==, 1.0);

  /* d.png (different sizes) and the partnerless files are listed. */
  g_assert_cmpuint (g_list_model_get_n_items (unmatched), ==, 3);
  g_assert_true (list_contains (unmatched, "only-baseline.png"));
  g_assert_true (list_contains (unmatched, "only-quantized.png"));
  g_assert_true (list_contains (unmatched, "d.png"));

  /* Selecting another pair shows its heatmap. */
  qs_compare_page_select (page, 1);
  g_assert_true (ui_test_wait_until (heatmap_shown_cb, page, 30));

  /* The CSV has the rows in the shown order. */
  csv_path = g_build_filename (renders.root, "metrics.csv", NULL);
  g_assert_true (qs_compare_page_export_csv (page, csv_path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "file,psnr,ssim,mae,max_diff");
  g_assert_true (g_str_has_prefix (lines[1], "c.png,"));
  g_assert_true (g_str_has_prefix (lines[2], "b.png,"));
  g_assert_true (g_str_has_prefix (lines[3], "a.png,inf,1.0,"));

  /* Back returns to the start page it was opened from. */
  ui_test_activate (window, "close-compare", NULL);
  g_assert_cmpint (qs_window_get_stage (window), ==, QS_WINDOW_STAGE_START);
  ui_test_spin (50);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (qs_window_get_start_page (window))));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (page)));

  ui_test_app_free (g_steal_pointer (&app));
  renders_clear (&renders);
}

static void
test_compare_errors (void)
{
  g_autoptr(QsApplication) app = NULL;
  g_autofree char *file = NULL;
  g_autofree char *csv_path = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GFile) image = NULL;
  g_autoptr(GError) error = NULL;
  QsWindow *window = NULL;
  QsComparePage *page;
  Renders renders;

  renders_init (&renders);
  app = ui_test_app_new (&window);
  page = find_compare_page (GTK_WIDGET (window));
  g_assert_nonnull (page);

  /* A folder against a file is refused and nothing is listed. */
  file = g_build_filename (renders.quantized, "a.png", NULL);
  folder = g_file_new_for_path (renders.baseline);
  image = g_file_new_for_path (file);
  ui_test_activate (window, "compare-images", NULL);
  qs_compare_page_set_inputs (page, folder, image);
  g_assert_true (ui_test_wait_until (compare_done_cb, page, 30));
  g_assert_cmpuint (g_list_model_get_n_items (qs_compare_page_get_pairs (page)), ==, 0);

  csv_path = g_build_filename (renders.root, "empty.csv", NULL);
  g_assert_false (qs_compare_page_export_csv (page, csv_path, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (csv_path, G_FILE_TEST_EXISTS));

  ui_test_app_free (g_steal_pointer (&app));
  renders_clear (&renders);
}

static void
shoot (gboolean dark)
{
  const char *dir = g_getenv ("QS_UI_SCREENSHOT_DIR");
  g_autofree char *name = g_strdup_printf ("compare-%s.png", dark ? "dark" : "light");
  g_autofree char *swipe_name = g_strdup_printf ("compare-swipe-%s.png", dark ? "dark" : "light");
  g_autofree char *path = NULL;
  g_autofree char *swipe_path = NULL;
  g_autoptr(QsApplication) app = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GdkTexture) swipe_texture = NULL;
  QsWindow *window = NULL;
  QsComparePage *page;
  GtkWidget *widget;
  Renders renders;

  if (dir == NULL)
    dir = g_get_tmp_dir ();
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, name, NULL);
  swipe_path = g_build_filename (dir, swipe_name, NULL);

  renders_init (&renders);
  app = ui_test_app_new (&window);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                           : ADW_COLOR_SCHEME_FORCE_LIGHT);
  gtk_window_unmaximize (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), WIDTH, HEIGHT);
  ui_test_spin (300);
  /* Without a window manager the client-side frame takes a few pixels. */
  gtk_window_set_default_size (GTK_WINDOW (window),
                               2 * WIDTH - gtk_widget_get_width (GTK_WIDGET (window)),
                               2 * HEIGHT - gtk_widget_get_height (GTK_WIDGET (window)));
  ui_test_spin (300);

  page = compare (window, &renders);
  ui_test_spin (300);
  texture = ui_test_render_window (window, path);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, WIDTH);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, HEIGHT);

  /* The swipe view of the same pair. */
  widget = GTK_WIDGET (page);
  for (GtkWidget *child = widget; child != NULL; )
    {
      if (GTK_IS_STACK (child) && gtk_stack_get_child_by_name (GTK_STACK (child), "swipe") != NULL)
        {
          gtk_stack_set_visible_child_name (GTK_STACK (child), "swipe");
          break;
        }
      /* Depth-first walk over the page's widgets. */
      if (gtk_widget_get_first_child (child) != NULL)
        child = gtk_widget_get_first_child (child);
      else
        {
          while (child != widget && gtk_widget_get_next_sibling (child) == NULL)
            child = gtk_widget_get_parent (child);
          child = child == widget ? NULL : gtk_widget_get_next_sibling (child);
        }
    }
  ui_test_spin (300);
  swipe_texture = ui_test_render_window (window, swipe_path);
  g_assert_cmpint (gdk_texture_get_width (swipe_texture), ==, WIDTH);

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  ui_test_app_free (g_steal_pointer (&app));
  renders_clear (&renders);
}

static void
test_screenshot_light (void)
{
  shoot (FALSE);
}

static void
test_screenshot_dark (void)
{
  shoot (TRUE);
}

int
main (int   argc,
      char *argv[])
{
  if (!ui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/qs/ui/compare/folders", test_compare_folders);
  g_test_add_func ("/qs/ui/compare/errors", test_compare_errors);
  g_test_add_func ("/qs/ui/compare/screenshot-light", test_screenshot_light);
  g_test_add_func ("/qs/ui/compare/screenshot-dark", test_screenshot_dark);

  return g_test_run ();
}
